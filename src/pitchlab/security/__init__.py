"""The small security core: password hashing (and, with identity, tokens and the key vault)."""
