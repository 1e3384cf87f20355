"""Serving reply jobs in a worker process: one engine, one publishing loop, many job threads.

A Celery task thread calls ``WorkerRuntime.serve(job)`` and blocks until the reply is
stored, so the worker's concurrency is the engine's batch width. Deltas travel from the
engine thread to one asyncio loop owned by the runtime, which coalesces and publishes
them; everything that touches the web app's database or channel layer goes through a
``ReplySink``, the one narrow door to Django (``supportbot.chat.worker_adapter``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import logging
import threading
import time
from collections.abc import Callable
from typing import Any, Protocol

from inference_worker.engine import Engine, QueueFull
from inference_worker.jobs import ReplyJob
from inference_worker.metrics import EngineMetrics
from inference_worker.output_guard import Checker, GuardDecision, StreamGuard
from inference_worker.prompting import render_prompt
from inference_worker.sequence import FinishReason, StreamEvent
from inference_worker.streaming import RelayResult, relay_events

logger = logging.getLogger(__name__)

Frame = dict[str, Any]
PUBLISH_ERROR_LOG_EVERY_S = 10.0


class EngineBusy(Exception):
    """The engine's waiting queue is full; the job should be retried shortly."""


class ServeResult(enum.StrEnum):
    REPLIED = "replied"  # generated and stored now
    FAILED = "failed"  # no reply stored; the customer was told, the question stays open
    ALREADY_ANSWERED = "already_answered"  # a redelivery of a job whose reply is stored
    JOINED = "joined"  # a redelivery of a job this worker was still generating
    BLOCKED = "blocked"  # the output guard stopped it; a safe reply was stored instead


class ReplySink(Protocol):
    """What a worker needs from the web app, and nothing more."""

    def stored_reply_frame(self, job: ReplyJob) -> Frame | None:
        """The final frame of the job's reply if one is already stored, else None."""

    def job_started(self, job: ReplyJob) -> None:
        """Record that this process is generating ``job`` (so its death can be noticed)."""

    def store_reply(self, job: ReplyJob, event: StreamEvent, *, worker: str) -> Frame:
        """Store the finished generation once (keyed by the message it answers), end the
        job's records; return the frame that tells the customer (the reply, or a failure)."""

    def job_abandoned(self, job: ReplyJob, *, will_retry: bool) -> None:
        """The job ends without a stored reply; ``will_retry``: it is queued again."""

    def failed_frame(self, job: ReplyJob) -> Frame: ...

    def output_checker(self, job: ReplyJob) -> Checker | None:
        """The output guard's check for this job's reply, or None to stream unchecked."""

    def store_blocked_reply(
        self, job: ReplyJob, event: StreamEvent, decision: GuardDecision, *, worker: str
    ) -> Frame:
        """The guard stopped the reply: store a safe one instead, log and escalate; return
        the frame that tells the customer."""

    def retract_frame(self, job: ReplyJob) -> Frame: ...

    def handoff_frame(self, job: ReplyJob) -> Frame | None:
        """The frame announcing the conversation waits for a person, if it now does."""

    def delta_frame(self, job: ReplyJob, text: str) -> Frame: ...

    def restart_frame(self, job: ReplyJob) -> Frame: ...

    async def publish(self, conversation: str, frame: Frame) -> None:
        """Send a frame to every socket of the conversation (best effort)."""


class WorkerRuntime:
    def __init__(
        self,
        engine: Engine,
        sink: ReplySink,
        *,
        worker: str,
        variant: str,
        coalesce_s: float = 0.03,
        job_timeout_s: float = 600.0,
    ) -> None:
        self.engine = engine
        self.sink = sink
        self.worker = worker
        self.coalesce_s = coalesce_s
        self.job_timeout_s = job_timeout_s
        self.metrics = EngineMetrics(variant=variant, worker=worker, stats=engine.stats)
        self._inflight: dict[str, concurrent.futures.Future[None]] = {}
        self._inflight_lock = threading.Lock()
        self._close_callbacks: list[Callable[[], None]] = []
        self._last_publish_error = float("-inf")
        self._loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(
            target=self._loop.run_forever, name="supportbot-publisher", daemon=True
        )
        self._loop_thread.start()

    def on_close(self, callback: Callable[[], None]) -> None:
        self._close_callbacks.append(callback)

    def close(self) -> None:
        for callback in self._close_callbacks:
            callback()
        self.engine.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._loop_thread.join(timeout=5)

    # -- serving -----------------------------------------------------------------------

    def serve(self, job: ReplyJob, *, redelivered: bool = False) -> ServeResult:
        """Generate, stream and store the reply to ``job``; idempotent per job.

        Raises ``EngineBusy`` when the engine cannot take the job now.
        """
        # Only a redelivered job can have been answered already (the web queues each reply
        # once); the store is idempotent either way, so this only saves a generation.
        frame = self.sink.stored_reply_frame(job) if redelivered else None
        if frame is not None:
            # Stored before a crash but maybe never announced: announce it (again).
            self._publish(job.conversation, frame)
            return ServeResult.ALREADY_ANSWERED
        with self._inflight_lock:
            running = self._inflight.get(job.request_id)
            if running is None:
                mine: concurrent.futures.Future[None] = concurrent.futures.Future()
                self._inflight[job.request_id] = mine
        if running is not None:
            # The broker gave us our own unfinished job again (visibility timeout passed):
            # acknowledge this copy once the running one is done.
            with contextlib.suppress(concurrent.futures.TimeoutError):
                running.result(timeout=self.job_timeout_s)
            return ServeResult.JOINED
        try:
            return self._serve(job, redelivered)
        finally:
            with self._inflight_lock:
                del self._inflight[job.request_id]
            mine.set_result(None)

    def _serve(self, job: ReplyJob, redelivered: bool) -> ServeResult:
        try:
            self.sink.job_started(job)
            if redelivered:
                self.metrics.redelivered.inc()
                logger.info("job %s redelivered; generating it again", job.request_id)
                self._publish(job.conversation, self.sink.restart_frame(job))
            try:
                result = self._generate(job)
            except EngineBusy:
                self.sink.job_abandoned(job, will_retry=True)
                raise
            except Exception:
                # Tell the customer and leave the question unanswered (their next resume
                # asks again) rather than acknowledge a job that produced nothing.
                logger.exception("generating %s failed", job.request_id)
                failed = StreamEvent(
                    job.request_id, "", done=True, finish_reason=FinishReason.ERROR
                )
                result = RelayResult(failed)
            if result.blocked is not None:
                logger.warning("output guard stopped %s: %s", job.request_id, result.blocked.reason)
                # Stored first: the retract is only worth sending with a reply to follow it.
                frame = self.sink.store_blocked_reply(
                    job, result.event, result.blocked, worker=self.worker
                )
                self._publish(job.conversation, self.sink.retract_frame(job))
                self._publish(job.conversation, frame)
                handoff = self.sink.handoff_frame(job)
                if handoff is not None:
                    self._publish(job.conversation, handoff)
                return ServeResult.BLOCKED
            frame = self.sink.store_reply(job, result.event, worker=self.worker)
            self._publish(job.conversation, frame)
            if frame.get("seq") is None:
                return ServeResult.FAILED
            # The reply itself may have handed the conversation to people ("I'll pass this
            # to a colleague"); the customer hears of it right after the reply.
            handoff = self.sink.handoff_frame(job)
            if handoff is not None:
                self._publish(job.conversation, handoff)
            return ServeResult.REPLIED
        except EngineBusy:
            raise
        except Exception:
            # Database or Redis trouble around the generation: the customer hears of it and
            # the question stays open for their next resume.
            logger.exception("serving %s failed", job.request_id)
            try:
                self.sink.job_abandoned(job, will_retry=False)
                self._publish(job.conversation, self.sink.failed_frame(job))
            except Exception:
                logger.exception("could not report the failure of %s", job.request_id)
            return ServeResult.FAILED

    def _generate(self, job: ReplyJob) -> RelayResult:
        prompt = render_prompt(self.engine.tokenizer, job.prompt, instruct=self.engine.is_instruct)
        request = job.generation_request(prompt)
        events: asyncio.Queue[StreamEvent] = asyncio.Queue()

        def to_loop(event: StreamEvent) -> None:  # engine thread
            self._loop.call_soon_threadsafe(events.put_nowait, event)

        try:
            self.engine.submit(request, self.metrics.observe(to_loop))
        except QueueFull as exc:
            raise EngineBusy(str(exc)) from exc

        async def send(text: str) -> None:
            await self._publish_quietly(job.conversation, self.sink.delta_frame(job, text))

        checker = self.sink.output_checker(job)
        guard = StreamGuard(checker) if checker is not None else None
        relay = asyncio.run_coroutine_threadsafe(
            relay_events(
                events,
                send,
                self.coalesce_s,
                guard=guard,
                abort=lambda: self.engine.abort(request.request_id),
            ),
            self._loop,
        )
        try:
            return relay.result(timeout=self.job_timeout_s)
        except concurrent.futures.TimeoutError:
            logger.error("%s still generating after %.0f s", job.request_id, self.job_timeout_s)
            self.engine.abort(request.request_id)
            relay.cancel()
            raise

    # -- publishing --------------------------------------------------------------------

    async def _publish_quietly(self, conversation: str, frame: Frame) -> None:
        try:
            await self.sink.publish(conversation, frame)
        except Exception as exc:
            self.metrics.publish_failures.inc()
            # A Redis outage fails every delta of every reply: log it, not each frame.
            now = time.monotonic()
            if now - self._last_publish_error >= PUBLISH_ERROR_LOG_EVERY_S:
                self._last_publish_error = now
                logger.warning("publishing frames fails (%s: %s)", type(exc).__name__, exc)

    def _publish(self, conversation: str, frame: Frame) -> None:
        future = asyncio.run_coroutine_threadsafe(
            self._publish_quietly(conversation, frame), self._loop
        )
        future.result(timeout=30)
