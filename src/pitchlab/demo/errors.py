"""What the demo booking refuses. Bad bodies are 422s (schemas) and too many attempts the
shared ``RateLimited`` (429): this domain adds no error of its own."""

from __future__ import annotations

from pitchlab.kit.errors import RateLimited

__all__ = ["RateLimited"]
