"""Alerts: critical failures told to the operators (email and/or Slack), rate-limited per key."""
