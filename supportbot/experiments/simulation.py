"""Visitors and outcomes drawn with truths you set, for demos, tests and calibration.

Each visitor is placed by the product's own assignment arithmetic (``hashing``) and gets one
or more conversations whose outcomes follow their arm's ``Truth``. The truths are exact
population values of the figures the results compare, so a test can ask whether an interval
covers them:

- escalation rate: each visitor has their own propensity, Beta-distributed around the arm's
  rate (visitors differ, which is why the results cluster by visitor); the pooled rate over
  conversations is the arm's rate;
- handling time: log-normal around the arm's median, with a per-visitor offset; the ratio of
  geometric means between arms is the ratio of medians;
- CSAT: ratings 1-5 whose mean is the arm's (an exponential tilt of the uniform), answered
  with the arm's response rate;
- bot response time: one reply per conversation, log-normal around the arm's median.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from supportbot.experiments.hashing import Weighted, bucket, pick
from supportbot.experiments.samples import ArmSample, arm_sample

RATINGS = np.arange(1, 6)
# Spread between visitors: the Beta's concentration (higher: more alike), and the log-scale
# standard deviations of a visitor's offset and of one conversation around it.
PROPENSITY_CONCENTRATION = 8.0
VISITOR_LOG_SD = 0.35
CONVERSATION_LOG_SD = 0.7
RETURN_RATE = 0.3  # extra conversations per visitor (Poisson)


@dataclass(frozen=True, slots=True)
class Truth:
    """One arm's population values."""

    escalation: float = 0.22
    handling_median_s: float = 7.0
    csat_mean: float = 4.1
    csat_response: float = 0.45
    reply_median_s: float = 2.5  # the bot's answer to the first message, complete


# The seed deployment's three-month test (issue 14): control first.
SEED_TRUTHS = (Truth(0.22, 7.0, 4.1), Truth(0.17, 4.0, 4.5))


@dataclass(frozen=True, slots=True)
class ArmMeta:
    """An arm as the simulation needs it (``weight`` for placement); the first is the
    control."""

    name: str
    variant: str
    weight: int


@dataclass(frozen=True, slots=True)
class Simulated:
    """Columns: one entry per visitor (``visitor_ids``, ``arm``, ``day``) and one per
    conversation (``owner``, the visitor's index, and the outcomes)."""

    visitor_ids: list[str]
    arm: np.ndarray
    day: np.ndarray
    owner: np.ndarray
    escalated: np.ndarray
    handling_s: np.ndarray
    rating: np.ndarray  # 1-5, or 0: asked, no answer
    reply_s: np.ndarray

    def conversations_of(self, visitor: int) -> np.ndarray:
        """Indices of the conversations of visitor number ``visitor``."""
        return np.flatnonzero(self.owner == visitor)


def rating_probabilities(mean: float) -> np.ndarray:
    """P(1..5) with the given mean: the uniform tilted by exp(theta * rating)."""
    if not 1.0 < mean < 5.0:
        raise ValueError("a CSAT mean must lie strictly between 1 and 5")

    def weights(theta: float) -> np.ndarray:
        w = np.exp(theta * (RATINGS - 3))
        return w / w.sum()

    theta = optimize.brentq(lambda t: weights(t) @ RATINGS - mean, -50.0, 50.0, xtol=1e-14)
    return weights(theta)


def simulate(
    arms: Sequence[Weighted],
    truths: Sequence[Truth],
    *,
    visitors: int,
    salt: str,
    days: int = 14,
    seed: int = 0,
) -> Simulated:
    """``visitors`` new visitors over ``days``, each placed as the product places them."""
    if len(arms) != len(truths):
        raise ValueError("one truth per arm")
    rng = np.random.default_rng(seed)
    index = {id(arm): i for i, arm in enumerate(arms)}
    visitor_ids = [f"sim-{seed}-{n}" for n in range(visitors)]
    arm = np.array([index[id(pick(arms, bucket(salt, v)))] for v in visitor_ids], dtype=int)
    day = rng.integers(days, size=visitors)
    escalation = np.array([t.escalation for t in truths])[arm]
    k = PROPENSITY_CONCENTRATION
    propensity = rng.beta(k * escalation, k * (1 - escalation))
    offset = rng.normal(0.0, VISITOR_LOG_SD, size=visitors)
    owner = np.repeat(np.arange(visitors), 1 + rng.poisson(RETURN_RATE, size=visitors))
    n = owner.size
    conversation_arm = arm[owner]
    medians = np.log([t.handling_median_s for t in truths])
    log_time = medians[conversation_arm] + offset[owner] + rng.normal(0, CONVERSATION_LOG_SD, n)
    response = np.array([t.csat_response for t in truths])[conversation_arm]
    rating = np.zeros(n, dtype=int)
    for i, truth in enumerate(truths):
        mine = conversation_arm == i
        rating[mine] = rng.choice(
            RATINGS, size=int(mine.sum()), p=rating_probabilities(truth.csat_mean)
        )
    rating[rng.random(n) >= response] = 0
    reply_medians = np.log([t.reply_median_s for t in truths])
    reply_s = np.exp(reply_medians[conversation_arm] + rng.normal(0, CONVERSATION_LOG_SD, n))
    return Simulated(
        visitor_ids=visitor_ids,
        arm=arm,
        day=day,
        owner=owner,
        escalated=rng.random(n) < propensity[owner],
        handling_s=np.exp(log_time),
        rating=rating,
        reply_s=reply_s,
    )


def samples(
    simulated: Simulated, arms: Sequence[ArmMeta], *, until_day: int | None = None
) -> list[ArmSample]:
    """The arms' samples as the results read them, from the visitors who arrived before
    ``until_day`` (all by default): a daily peek at a running experiment."""
    arrived = simulated.day < (until_day if until_day is not None else np.inf)
    kept = arrived[simulated.owner]
    owner = simulated.owner[kept]
    conversation_arm = simulated.arm[owner]
    found = []
    for index, arm in enumerate(arms):
        mine = conversation_arm == index
        escalated = simulated.escalated[kept][mine]
        found.append(
            arm_sample(
                name=arm.name,
                variant=arm.variant,
                weight=arm.weight,
                is_control=index == 0,
                visitor=owner[mine],
                escalated=escalated,
                resolved=np.ones(escalated.size, dtype=bool),
                contained=~escalated,
                csat_requested=np.ones(escalated.size, dtype=bool),
                rating=simulated.rating[kept][mine],
                handling_s=simulated.handling_s[kept][mine],
                reply_visitor=owner[mine],
                reply_s=simulated.reply_s[kept][mine],
            )
        )
    return found
