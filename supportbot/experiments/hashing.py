"""The arithmetic of sticky assignment, without Django: any process, or a script checking
an export, places a visitor the same way."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol, TypeVar


class Weighted(Protocol):
    weight: int


W = TypeVar("W", bound=Weighted)


SCALE = 2**64


def bucket(salt: str, visitor_id: str) -> float:
    """A uniform number in [0, 1) fixed by the salt and the visitor id."""
    digest = hashlib.sha256(f"{salt}:{visitor_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / SCALE


def pick(arms: Sequence[W], point: float) -> W:
    """The arm whose share of the cumulative weights holds ``point``."""
    total = sum(arm.weight for arm in arms)
    edge = 0.0
    for arm in arms:
        edge += arm.weight / total
        if point < edge:
            return arm
    return arms[-1]  # float rounding at the top edge
