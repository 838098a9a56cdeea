"""Background work on procrastinate, a PostgreSQL-backed queue: no broker to run, durable jobs."""
