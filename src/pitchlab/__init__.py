"""Pitchlab: the backend of a voice AI sales-training SaaS."""

__version__ = "0.1.0"
