"""The shared kernel every domain builds on: named errors and domain events.

It imports no domain."""
