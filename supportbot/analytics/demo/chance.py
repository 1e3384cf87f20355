"""The random draws the demo's steps share. Each conversation draws from its own stream
(``random.Random(f"{seed}:{index}")``), so the same seed gives the same history however the
conversations interleave; these helpers only shape the draws."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from typing import TypeVar

T = TypeVar("T")


def pick(r: random.Random, weights: Mapping[T, float]) -> T:
    """One key of ``weights``, as likely as its weight."""
    return r.choices(list(weights), weights=list(weights.values()))[0]


def lognormal(r: random.Random, median: float, sigma: float) -> float:
    """A duration or count around ``median``: people's pauses and the engine's timings have
    long right tails, never below zero."""
    return r.lognormvariate(math.log(median), sigma)


def think(r: random.Random) -> float:
    """Seconds a customer takes before writing again, at most a quarter of an hour."""
    return min(lognormal(r, 40, 0.8), 900.0)
