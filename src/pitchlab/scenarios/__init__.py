"""Scenarios: the built-in role-play library and a company's own scenarios."""
