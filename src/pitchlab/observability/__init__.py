"""Observability: what an operator sees of a running Pitchlab."""
