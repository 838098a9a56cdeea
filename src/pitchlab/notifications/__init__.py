"""Transactional email: composed from templates, kept in the outbox, delivered by a job."""
