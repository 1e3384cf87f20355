"""What the results read of one arm: its conversations and replies as columns, each row
tagged with its visitor, so every figure can be summed per visitor (the unit that was
randomised). Filled from the dashboard's facts or from a simulation."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

SATISFIED = 4  # ratings 4-5


@dataclass(frozen=True, slots=True)
class ArmSample:
    name: str
    variant: str
    weight: float
    is_control: bool
    active: bool  # False: stopped, takes no new visitors (left out of the split check)
    visitors: int  # with at least one conversation
    conversations: int
    # Per visitor (length ``visitors``): sums over their conversations.
    counts: dict[str, np.ndarray] = field(repr=False)
    # Per observation: (values, the visitor's index) for the figures compared as
    # distributions: handling times, bot response times, ratings.
    observations: dict[str, tuple[np.ndarray, np.ndarray]] = field(repr=False)

    def unit_means(self, name: str, *, log: bool = False) -> np.ndarray:
        """Each visitor's mean of observation set ``name`` (of its logarithm with ``log``),
        for the visitors who have any."""
        values, owner = self.observations[name]
        if log:
            values = np.log(values)
        totals = np.bincount(owner, weights=values, minlength=self.visitors)
        seen = np.bincount(owner, minlength=self.visitors)
        return totals[seen > 0] / seen[seen > 0]


def arm_sample(
    *,
    name: str,
    variant: str,
    weight: float,
    is_control: bool,
    visitor: ArrayLike,
    active: bool = True,
    escalated: ArrayLike,
    resolved: ArrayLike,
    contained: ArrayLike,
    csat_requested: ArrayLike,
    rating: ArrayLike,
    handling_s: ArrayLike,
    reply_visitor: ArrayLike = (),
    reply_s: ArrayLike = (),
) -> ArmSample:
    """An arm's sample from one row per conversation (``visitor``: any hashable key per
    row; ``rating`` 0 and ``handling_s`` NaN where there is none) and one per bot reply."""
    keys, owner = np.unique(np.asarray(visitor), return_inverse=True)
    units = keys.size

    def per_visitor(column: ArrayLike) -> np.ndarray:
        return np.bincount(owner, weights=np.asarray(column, dtype=float), minlength=units)

    rating = np.asarray(rating, dtype=float)
    rated = rating > 0
    handling_s = np.asarray(handling_s, dtype=float)
    timed = ~np.isnan(handling_s)
    reply_s = np.asarray(reply_s, dtype=float)
    reply_owner = np.searchsorted(keys, np.asarray(reply_visitor)) if reply_s.size else None
    return ArmSample(
        name=name,
        variant=variant,
        weight=float(weight),
        is_control=is_control,
        active=active,
        visitors=int(units),
        conversations=int(owner.size),
        counts={
            "conversations": np.bincount(owner, minlength=units).astype(float),
            "escalated": per_visitor(escalated),
            "resolved": per_visitor(resolved),
            "contained": per_visitor(contained),
            "csat_requested": per_visitor(csat_requested),
            "rated": per_visitor(rated),
            "satisfied": per_visitor(rating >= SATISFIED),
            "rating_sum": per_visitor(rating),
        },
        observations={
            "handling_s": (handling_s[timed], owner[timed]),
            "rating": (rating[rated], owner[rated]),
            "response_s": (
                (reply_s, reply_owner)
                if reply_owner is not None
                else (np.empty(0), np.empty(0, dtype=int))
            ),
        },
    )
