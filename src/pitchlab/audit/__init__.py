"""Audit: the append-only record of who did what (sign-ups, logins, secrets changed, erasures,
exports, consents, subscription changes). Other domains write it through ``service.record`` in
their own transaction; admins read it at ``GET /api/admin/audit-logs``."""
