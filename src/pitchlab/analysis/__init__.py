"""Conversation analytics: pure functions over timed transcript turns. No I/O."""
