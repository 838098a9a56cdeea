"""Logs, slow queries, traces and error reports: what an operator sees of a running Pitchlab.

The package imports nothing itself, so that a light command (``pitchlab outbox``) can use its
log configuration without loading the web stack: ``setup`` wires it into an app.
"""
