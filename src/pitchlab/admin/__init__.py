"""Admin: the endpoints under /api/admin for company admins and platform operators. It reaches
the domains it administers through their services (the audit log through ``audit``)."""
