"""Rate limits: sliding windows in memory (one console socket), and sliding-window
counters in the cache, shared by every socket and web process (a customer's conversation,
visitor and address), which tell a refused client how long to wait."""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


class SlidingWindow:
    """At most ``limit`` events in any ``window_s`` seconds."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._times: deque[float] = deque()

    def allow(self, now: float | None = None) -> bool:
        now = time.monotonic() if now is None else now
        while self._times and now - self._times[0] >= self.window_s:
            self._times.popleft()
        if len(self._times) >= self.limit:
            return False
        self._times.append(now)
        return True


def spend_in_cache(key: str, limit: int, window_s: int, now: float | None = None) -> int:
    """Spend one of ``limit`` events per ``window_s`` seconds, shared by every process that
    shares the cache. Returns 0 when allowed, else the whole seconds to wait before one
    more attempt would be allowed (if nobody else spends meanwhile): ``Retry-After``.

    A sliding-window counter: this window's count plus the previous window's, weighted by
    how much of it still overlaps the last ``window_s`` seconds. Plain fixed windows let
    twice the limit through around a boundary; refused attempts count too, so a client
    that keeps hammering stays refused (the wait it is told grows with its attempts).
    """
    now = time.time() if now is None else now
    index, into = divmod(now, window_s)
    current = f"ratelimit:{key}:{int(index)}"
    previous = f"ratelimit:{key}:{int(index) - 1}"
    if cache.add(current, 1, timeout=2 * window_s + 1):
        count = 1
    else:
        try:
            count = cache.incr(current)
        except ValueError:  # expired between add and incr
            cache.add(current, 1, timeout=2 * window_s + 1)
            count = 1
    before = cache.get(previous, 0)
    if before * (1 - into / window_s) + count <= limit:
        return 0
    return retry_after(before, count, limit, window_s, into)


def retry_after(before: int, count: int, limit: int, window_s: int, into: float) -> int:
    """Seconds until one more attempt fits: ``before`` events in the previous window,
    ``count`` in this one (``into`` seconds old). The previous window's weight decays
    through this one; once this one is over it becomes the decaying one."""
    if count + 1 <= limit and before:
        # Within this window: before * (1 - (into + t) / w) + count + 1 <= limit.
        wait = window_s * (1 - (limit - count - 1) / before) - into
        if wait <= window_s - into:
            return max(1, math.ceil(wait))
    # In the next window (this one weighing count * (1 - t' / w), one new attempt).
    later = window_s * (1 - (limit - 1) / count) if count > limit - 1 else 0.0
    return max(1, math.ceil(window_s - into + max(0.0, later)))


def allow_in_cache(key: str, limit: int, window_s: int, now: float | None = None) -> bool:
    """``spend_in_cache`` as a yes or no."""
    return spend_in_cache(key, limit, window_s, now) == 0


@dataclass(frozen=True, slots=True)
class Budget:
    """Two limits shared through the cache: one per subject (a conversation, or a visitor
    at an address) and a higher one per client address, all its subjects together."""

    name: str
    per_subject: int
    per_address: int
    window_s: int

    def spend(self, subject: str, address: str) -> int:
        """Spend one unit of both budgets (the subject's first: a refused subject does not
        use up its address's budget). 0 when allowed, else seconds to wait. When the cache
        cannot be reached, allow: a limit must not take the chat down with it."""
        try:
            wait = spend_in_cache(f"{self.name}:subj:{subject}", self.per_subject, self.window_s)
            if wait:
                return wait
            return spend_in_cache(f"{self.name}:addr:{address}", self.per_address, self.window_s)
        except Exception:
            logger.warning("rate limit %s not checked: cache unavailable", self.name, exc_info=True)
            return 0

    def allow(self, subject: str, address: str) -> bool:
        return self.spend(subject, address) == 0


def message_budget() -> Budget:
    """Messages and other frames that write (escalate, resolve, contact, CSAT): per
    conversation and per address."""
    options = settings.SUPPORTBOT
    return Budget(
        "msg",
        options["RATE_LIMIT_MESSAGES"],
        options["RATE_LIMIT_ADDRESS_MESSAGES"],
        max(1, round(options["RATE_LIMIT_WINDOW_S"])),
    )


def resume_budget() -> Budget:
    """Resumes: each reloads the transcript and may queue the unanswered question again."""
    options = settings.SUPPORTBOT
    return Budget(
        "resume", options["RATE_LIMIT_RESUMES"], options["RATE_LIMIT_ADDRESS_RESUMES"], 60
    )


def conversation_budget() -> Budget:
    """Starting conversations, per hour: per visitor id at an address (the widget keeps
    its id in localStorage; ``CONVERSATIONS_PER_HOUR_PER_IP``, 60 by default, is spent per
    visitor), and a ceiling per address for clients that change their id every time."""
    options = settings.SUPPORTBOT
    return Budget(
        "conv-create",
        options["CONVERSATIONS_PER_HOUR_PER_IP"],
        options["CONVERSATIONS_PER_HOUR_PER_ADDRESS"],
        3600,
    )
