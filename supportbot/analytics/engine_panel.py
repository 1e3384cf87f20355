"""The engine panel: per worker and variant, what the workers already publish (placeholder
until the helper's implementation lands)."""

from __future__ import annotations


def snapshot() -> dict:
    raise NotImplementedError
