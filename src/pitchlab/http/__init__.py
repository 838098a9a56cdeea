"""HTTP plumbing shared by every domain: request ids, security headers, metrics."""
