"""The embedded default's dispatcher: the engine on a thread of the web process.

It hands a ``ReplyJob`` to the engine, relays the engine's stream to the conversation's
channel-layer group (coalesced), and stores the finished reply once. In production the
same steps run in a Celery worker (``inference_worker.serving``).
"""

from __future__ import annotations

import asyncio
import logging
import threading

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings

from inference_worker.config import EngineConfig
from inference_worker.engine import Engine, QueueFull
from inference_worker.jobs import ReplyJob
from inference_worker.metrics import EngineMetrics
from inference_worker.output_guard import StreamGuard
from inference_worker.prompting import render_prompt
from inference_worker.sequence import StreamEvent
from inference_worker.streaming import RelayResult, relay_events
from supportbot.agents import notify
from supportbot.chat import frames
from supportbot.chat.bot_handover import bot_cannot_help
from supportbot.chat.dispatch import DispatchError, send_to_conversation
from supportbot.chat.safety_actions import handoff_frame_for, store_blocked_reply
from supportbot.chat.services import (
    ReplyOutcome,
    bot_superseded,
    reply_exists,
    store_bot_reply,
)
from supportbot.ops.metrics import dispatches
from supportbot.safety.guard import blocked_verdict, output_checker

logger = logging.getLogger(__name__)


class InProcessDispatcher:
    """Runs the engine on a thread of the web process (SQLite, no Redis, no GPU needed)."""

    def __init__(self) -> None:
        self._engine: Engine | None = None
        self._engine_lock = threading.Lock()
        self._inflight: dict[str, tuple[asyncio.Task, Engine]] = {}
        self._starting: set[str] = set()
        self._watchers: dict[str, int] = {}
        self._abandon_timers: dict[str, asyncio.TimerHandle] = {}
        self.metrics: EngineMetrics | None = None

    # -- engine ------------------------------------------------------------------------

    def engine(self) -> Engine:
        """Load the model once (blocking; call from a thread when an event loop is running)."""
        with self._engine_lock:
            if self._engine is None:
                options = settings.SUPPORTBOT
                config = EngineConfig(
                    model=options["MODEL"],
                    device=options["DEVICE"],
                    max_batch_size=options["MAX_BATCH_SIZE"],
                    max_waiting=options["MAX_WAITING"],
                    max_new_tokens=options["MAX_NEW_TOKENS"],
                )
                engine = Engine.from_config(config)
                engine.start()
                self.metrics = EngineMetrics(variant="default", worker="web", stats=engine.stats)
                self._engine = engine
            return self._engine

    def preload(self) -> None:
        self.engine()

    def shutdown(self) -> None:
        with self._engine_lock:
            if self._engine is not None:
                self._engine.stop()
                self._engine = None

    # -- jobs --------------------------------------------------------------------------

    def _is_generating(self, request_id: str) -> bool:
        return request_id in self._inflight or request_id in self._starting

    async def dispatch(self, job: ReplyJob) -> None:
        """Start generating ``job``'s reply; raise ``DispatchError`` if it cannot be queued.

        Idempotent per reply: a job already starting, generating or answered is ignored
        (two tabs resuming at once find the same unanswered message).
        """
        if self._is_generating(job.request_id):
            return
        # Reserved before the first await, so a concurrent dispatch of the same job returns.
        self._starting.add(job.request_id)
        try:
            await self._start(job)
        finally:
            self._starting.discard(job.request_id)

    async def _start(self, job: ReplyJob) -> None:
        if await database_sync_to_async(reply_exists)(job.reply_to_id):
            return
        loop = asyncio.get_running_loop()
        try:
            engine = await loop.run_in_executor(None, self.engine)
            # Rendering counts tokens; keep it off the event loop every socket shares.
            prompt = await loop.run_in_executor(
                None,
                lambda: render_prompt(engine.tokenizer, job.prompt, instruct=engine.is_instruct),
            )
        except Exception as exc:
            logger.exception("cannot prepare the reply to message %s", job.reply_to_id)
            dispatches.labels(outcome="unavailable").inc()
            raise DispatchError("unavailable", "The assistant is not available.") from exc
        request = job.generation_request(prompt)
        events: asyncio.Queue[StreamEvent] = asyncio.Queue()

        def relay(event: StreamEvent) -> None:  # engine thread
            loop.call_soon_threadsafe(events.put_nowait, event)

        try:
            engine.submit(request, self.metrics.observe(relay) if self.metrics else relay)
        except QueueFull as exc:
            dispatches.labels(outcome="busy").inc()
            raise DispatchError("busy", "The assistant is busy.") from exc
        dispatches.labels(outcome="queued").inc()
        task = loop.create_task(self._relay_stream(job, events, engine))
        self._inflight[job.request_id] = (task, engine)

        def forget(done: asyncio.Task) -> None:
            # Only our own entry: a redispatch may already have registered a newer task.
            if self._inflight.get(job.request_id, (None,))[0] is done:
                del self._inflight[job.request_id]

        task.add_done_callback(forget)

    async def _send_delta(self, job: ReplyJob, text: str | None) -> None:
        if not text:
            return
        try:
            await send_to_conversation(job.conversation, frames.bot_delta(job.reply_to_seq, text))
        except Exception:
            # A lost delta costs nothing (bot.done carries the whole text); a dead relay
            # would cost the reply.
            logger.exception("sending a delta of %s failed", job.request_id)

    async def _relay_stream(
        self, job: ReplyJob, events: asyncio.Queue[StreamEvent], engine: Engine
    ) -> None:
        async def send(text: str) -> None:
            await self._send_delta(job, text)

        interval = settings.SUPPORTBOT["COALESCE_MS"] / 1000
        checker = output_checker(job)
        result = await relay_events(
            events,
            send,
            interval,
            guard=StreamGuard(checker) if checker is not None else None,
            abort=lambda: engine.abort(job.request_id),
        )
        if result.blocked is not None:
            await self._replace_blocked(job, result)
        else:
            await self._finish(job, result.event)

    async def _replace_blocked(self, job: ReplyJob, result: RelayResult) -> None:
        """The guard stopped the reply: retract it, store a safe one, hand over to a person."""
        logger.warning("output guard stopped %s: %s", job.request_id, result.blocked.reason)
        outcome = ReplyOutcome.from_stream(result.event, queued_at=job.queued_at, worker="web")
        try:
            verdict = await asyncio.get_running_loop().run_in_executor(
                None, blocked_verdict, result.event, result.blocked
            )
            # Stored first: the retract is only worth sending with a reply to follow it.
            reply = await database_sync_to_async(store_blocked_reply)(
                job.reply_to_id, outcome, verdict
            )
            await send_to_conversation(job.conversation, frames.bot_retract(job.reply_to_seq))
            frame = (
                frames.bot_done(reply, job.reply_to_seq)
                if reply is not None
                else frames.bot_failed(job.reply_to_seq)
            )
            await send_to_conversation(job.conversation, frame)
            handoff = await database_sync_to_async(handoff_frame_for)(job.conversation)
            if handoff is not None:
                await send_to_conversation(job.conversation, handoff)
                await notify.queue_changed()
        except Exception:
            logger.exception("replacing the stopped reply to message %s failed", job.reply_to_id)

    async def _finish(self, job: ReplyJob, event: StreamEvent) -> None:
        outcome = ReplyOutcome.from_stream(event, queued_at=job.queued_at, worker="web")
        try:
            # Off the shared database thread: an embedding must not hold up every socket.
            cannot_help = await sync_to_async(bot_cannot_help, thread_sensitive=False)(outcome.text)
            reply, _created = await database_sync_to_async(store_bot_reply)(
                job.reply_to_id, outcome, cannot_help=cannot_help
            )
        except Exception:
            logger.exception("storing the reply to message %s failed", job.reply_to_id)
            reply = None
        try:
            if reply is not None:
                frame = frames.bot_done(reply, job.reply_to_seq)
                await send_to_conversation(job.conversation, frame)
                handoff = await database_sync_to_async(handoff_frame_for)(job.conversation)
                if handoff is not None:  # the reply handed the chat to people
                    await send_to_conversation(job.conversation, handoff)
                    await notify.queue_changed()
            elif outcome.finish_reason == "abort" and self._watchers.get(job.conversation):
                # Abandoned, but the customer came back before the abort landed: answer anyway.
                self._inflight.pop(job.request_id, None)
                await self.dispatch(job)
            elif await database_sync_to_async(bot_superseded)(job.reply_to_id):
                # People took over while it was written: take back what streamed.
                await send_to_conversation(job.conversation, frames.bot_retract(job.reply_to_seq))
            elif outcome.finish_reason != "abort":
                await send_to_conversation(job.conversation, frames.bot_failed(job.reply_to_seq))
        except Exception:
            logger.exception("finishing the reply to message %s failed", job.reply_to_id)

    # -- customers coming and going -----------------------------------------------------

    def customer_joined(self, conversation: str) -> None:
        self._watchers[conversation] = self._watchers.get(conversation, 0) + 1
        timer = self._abandon_timers.pop(conversation, None)
        if timer is not None:
            timer.cancel()

    def customer_left(self, conversation: str) -> None:
        """Abort the conversation's generation if nobody is back within the grace period."""
        count = self._watchers.get(conversation, 1) - 1
        if count > 0:
            self._watchers[conversation] = count
            return
        self._watchers.pop(conversation, None)
        grace = settings.SUPPORTBOT["ABANDON_GRACE_S"]
        loop = asyncio.get_running_loop()
        self._abandon_timers[conversation] = loop.call_later(grace, self._abandon, conversation)

    def _abandon(self, conversation: str) -> None:
        self._abandon_timers.pop(conversation, None)
        for request_id, (_task, engine) in list(self._inflight.items()):
            if request_id.startswith(f"{conversation}:"):
                logger.info("customer left; aborting %s", request_id)
                engine.abort(request_id)
