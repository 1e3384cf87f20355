"""Coalescing of streamed text: fewer, larger frames without delaying the first one."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from inference_worker.sequence import StreamEvent


class DeltaCoalescer:
    """Buffer deltas and release them at most every ``interval_s``.

    The first text is released at once (time to first token is what customers feel);
    after that, pieces are joined until the interval has passed since the last release.
    """

    def __init__(self, interval_s: float = 0.03) -> None:
        self.interval_s = interval_s
        self._buffer: list[str] = []
        self._last_release: float | None = None

    def push(self, text: str, now: float) -> str | None:
        if text:
            self._buffer.append(text)
        if not self._buffer:
            return None
        if self._last_release is None or now - self._last_release >= self.interval_s:
            return self._release(now)
        return None

    def due_in(self, now: float) -> float | None:
        """Seconds until buffered text should go out; None when nothing is buffered."""
        if not self._buffer:
            return None
        if self._last_release is None:
            return 0.0
        return max(0.0, self._last_release + self.interval_s - now)

    def flush(self, now: float) -> str | None:
        return self._release(now) if self._buffer else None

    def _release(self, now: float) -> str:
        text = "".join(self._buffer)
        self._buffer.clear()
        self._last_release = now
        return text


async def relay_events(
    events: asyncio.Queue[StreamEvent],
    send: Callable[[str], Awaitable[None]],
    interval_s: float,
) -> StreamEvent:
    """Send an engine stream's text through ``send``, coalesced; return the final event.

    ``send`` should not raise: a lost delta costs nothing (the final event carries the whole
    text), while a dead relay would cost the reply.
    """
    coalescer = DeltaCoalescer(interval_s)
    while True:
        wait = coalescer.due_in(time.monotonic())
        try:
            event = await (events.get() if wait is None else asyncio.wait_for(events.get(), wait))
        except TimeoutError:
            text = coalescer.flush(time.monotonic())
            if text:
                await send(text)
            continue
        text = (
            coalescer.flush(time.monotonic())
            if event.done
            else coalescer.push(event.text, time.monotonic())
        )
        if text:
            await send(text)
        if event.done:
            return event
