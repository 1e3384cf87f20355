"""Sliding-window rate limits, in memory (per socket) and in the cache (per key)."""

from __future__ import annotations

import time
from collections import deque

from django.core.cache import cache


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


def allow_in_cache(key: str, limit: int, window_s: int) -> bool:
    """A fixed-window counter shared by all processes that share the cache."""
    bucket = f"ratelimit:{key}:{int(time.time() // window_s)}"
    if cache.add(bucket, 1, timeout=window_s + 1):
        return True
    try:
        count = cache.incr(bucket)
    except ValueError:  # expired between add and incr
        cache.add(bucket, 1, timeout=window_s + 1)
        return True
    return count <= limit
