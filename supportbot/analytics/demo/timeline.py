"""The demo's clock. Conversations are generators of steps that yield the seconds until their
next one; the timeline runs the steps of all of them in time order, each with the clock
(``time_machine``) at its moment, so every timestamp is the one the services would have
written then, and the idle-close job runs every five minutes as the cron job does.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import time_machine

from supportbot.chat import escalation

Steps = Iterator[float]

IDLE = timedelta(minutes=30)  # close_idle_conversations --after-minutes 30, run every 5 minutes
CRON_EVERY_S = 300
# Customers per hour of the day and day of the week (Monday first), in the dashboard's zone.
HOURLY = (0.5, 0.3, 0.2, 0.2, 0.2, 0.3, 0.6, 1.1, 1.8, 2.4, 2.7, 2.8,
          2.6, 2.6, 2.7, 2.6, 2.4, 2.2, 2.1, 2.3, 2.4, 2.1, 1.5, 0.9)  # fmt: skip
WEEKDAY = (1.1, 1.0, 1.0, 1.0, 0.9, 0.7, 0.65)


def first_messages(master: random.Random, n: int, days: int, cutoff: datetime,
                   zone: ZoneInfo) -> list[datetime]:  # fmt: skip
    """``n`` first messages over the whole hours before ``cutoff`` (all within ``days`` of
    now), busier in the day than at night, on weekdays, and a little more each week."""
    hours = [cutoff - timedelta(hours=h) for h in range(days * 24 - 1, 0, -1)]
    weights = []
    for i, hour in enumerate(hours):
        local = hour.astimezone(zone)
        growth = 0.85 + 0.3 * i / len(hours)
        weights.append(HOURLY[local.hour] * WEEKDAY[local.weekday()] * growth)
    chosen = master.choices(hours, weights=weights, k=n)
    return sorted(hour + timedelta(seconds=master.uniform(0, 3600)) for hour in chosen)


class Timeline:
    """Steps waiting for their moment, earliest first (ties in the order they were added).
    Nothing at or after ``cutoff`` runs: a conversation still going on then stays open."""

    def __init__(self, cutoff: datetime, stats: Counter) -> None:
        self.cutoff = cutoff
        self.stats = stats
        self._queue: list[tuple[datetime, int, Steps | None]] = []
        self._order = itertools.count()
        self._sweeps: set[datetime] = set()

    def add(self, moment: datetime, steps: Steps) -> None:
        """Take the first step of ``steps`` at ``moment``."""
        self._at(moment, steps)

    def run(self, finished: Callable[[], object]) -> None:
        """Run every step in time order; ``finished`` is called once per conversation done
        (or cut off at ``cutoff``)."""
        while self._queue:
            moment, _, steps = heapq.heappop(self._queue)
            if moment >= self.cutoff:  # still going on now: it stays open
                if steps is not None:
                    finished()
                continue
            with time_machine.travel(moment, tick=False):
                if steps is None:
                    self.stats["idle_closed"] += escalation.resolve_idle(IDLE)
                    continue
                delay = next(steps, None)
            if delay is None:
                finished()
            else:
                self._at(moment + timedelta(seconds=delay), steps)

    def sweep_after(self, moment: datetime) -> datetime:
        """The first run of the idle-close job that finds a conversation idle since ``moment``
        (scheduled here unless it already is)."""
        due = (moment + IDLE).timestamp()
        sweep = datetime.fromtimestamp(math.ceil(due / CRON_EVERY_S) * CRON_EVERY_S, tz=UTC)
        if sweep not in self._sweeps:
            self._sweeps.add(sweep)
            self._at(sweep, None)
        return sweep

    def _at(self, moment: datetime, steps: Steps | None) -> None:
        heapq.heappush(self._queue, (moment, next(self._order), steps))
