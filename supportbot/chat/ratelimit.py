"""Rate limits: sliding windows in memory (one console socket), and fixed windows in the
cache, shared by every socket and web process (a customer's conversation and address)."""

from __future__ import annotations

import logging
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


def allow_in_cache(key: str, limit: int, window_s: int, now: float | None = None) -> bool:
    """At most ``limit`` events in any ``window_s`` seconds, shared by every process that
    shares the cache.

    A sliding-window counter: this window's count plus the previous window's, weighted by
    how much of it still overlaps the last ``window_s`` seconds. Plain fixed windows let
    twice the limit through around a boundary; refused attempts count too, so a client
    that keeps hammering stays refused.
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
    return before * (1 - into / window_s) + count <= limit


@dataclass(frozen=True, slots=True)
class Budget:
    """A limit per conversation and one per client address, both shared through the cache."""

    name: str
    per_conversation: int
    per_address: int
    window_s: int

    def allow(self, conversation: str, address: str) -> bool:
        """Spend one unit of both budgets (the conversation's first). When the cache cannot
        be reached, allow: a limit must not take the chat down with it."""
        try:
            return allow_in_cache(
                f"{self.name}:conv:{conversation}", self.per_conversation, self.window_s
            ) and allow_in_cache(f"{self.name}:addr:{address}", self.per_address, self.window_s)
        except Exception:
            logger.warning("rate limit %s not checked: cache unavailable", self.name, exc_info=True)
            return True


def message_budget() -> Budget:
    """Messages and other frames that write (escalate, resolve, contact, CSAT)."""
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
