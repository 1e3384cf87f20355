"""Coalescing of streamed text: fewer, larger frames without delaying the first one."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from inference_worker.output_guard import GuardDecision, StreamGuard
from inference_worker.sequence import FinishReason, StreamEvent

BLOCK_DRAIN_TIMEOUT_S = 5.0


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


@dataclass(slots=True)
class RelayResult:
    event: StreamEvent  # the engine's final event (finish_reason "abort" after a block)
    blocked: GuardDecision | None = None  # set when the output guard stopped the reply


async def relay_events(
    events: asyncio.Queue[StreamEvent],
    send: Callable[[str], Awaitable[None]],
    interval_s: float,
    *,
    guard: StreamGuard | None = None,
    abort: Callable[[], None] | None = None,
) -> RelayResult:
    """Send an engine stream's text through ``send``, coalesced; return how it ended.

    With a ``guard``, only checked text is sent; its checks run on a worker thread (they
    take milliseconds) so the loop keeps serving other replies. When the guard blocks,
    ``abort`` stops the generation and the rest of the stream is drained unsent.
    ``send`` should not raise: a lost delta costs nothing (the final event carries the
    whole text), while a dead relay would cost the reply.
    """
    loop = asyncio.get_running_loop()
    coalescer = DeltaCoalescer(interval_s)
    last: StreamEvent | None = None
    first_sent: float | None = None

    async def deliver(text: str) -> None:
        nonlocal first_sent
        if first_sent is None:
            first_sent = time.time()
        await send(text)

    def ended(event: StreamEvent) -> StreamEvent:
        return dataclasses.replace(event, first_delivered_at=first_sent)

    while True:
        wait = coalescer.due_in(time.monotonic())
        if guard is not None and guard.blocked is not None:
            # Blocked: wait for the abort to land, but not forever (a stuck engine must not
            # keep the retract and the safe reply from the customer).
            try:
                event = await asyncio.wait_for(events.get(), BLOCK_DRAIN_TIMEOUT_S)
            except TimeoutError:
                gave_up = StreamEvent(
                    last.request_id if last else "", guard.released, done=True,
                    finish_reason=FinishReason.ABORT,
                )  # fmt: skip
                return RelayResult(gave_up, guard.blocked)
            last = event
            if event.done:
                return RelayResult(ended(event), guard.blocked)
            continue
        try:
            event = await (events.get() if wait is None else asyncio.wait_for(events.get(), wait))
            last = event
        except TimeoutError:
            text = coalescer.flush(time.monotonic())
            if text:
                await deliver(text)
            continue
        visible = await _visible_text(event, guard, abort, loop)
        now = time.monotonic()
        text = coalescer.push(visible, now)
        if event.done:
            text = (text or "") + (coalescer.flush(now) or "")
        if text and (guard is None or guard.blocked is None):
            await deliver(text)
        if event.done:
            return RelayResult(ended(event), guard.blocked if guard is not None else None)


async def _visible_text(
    event: StreamEvent,
    guard: StreamGuard | None,
    abort: Callable[[], None] | None,
    loop: asyncio.AbstractEventLoop,
) -> str:
    """The text this event lets the customer see (a done event's own text is the whole
    reply, already sent piece by piece)."""
    if guard is None:
        return "" if event.done else event.text
    if guard.blocked is not None:
        return ""  # blocked: drain the stream until the engine confirms the abort
    step = guard.finish if event.done else functools.partial(guard.feed, event.text)
    visible = await loop.run_in_executor(None, step)
    if guard.blocked is not None and abort is not None and not event.done:
        abort()
    return visible
