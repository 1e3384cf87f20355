"""The reply lifecycle, once for every deployment: one engine, one publishing loop, many jobs.

A Celery task thread calls ``WorkerRuntime.serve(job)`` and blocks until the reply is
stored, so a worker's concurrency is the engine's batch width. The embedded default runs the
same runtime in the web process (``supportbot.serving.inprocess``): it calls ``start`` to
learn at once whether the engine took the job, then ``finish`` on a thread. Only the
transport of jobs and frames differs.

Deltas travel from the engine thread to one asyncio loop, which coalesces them, passes them
through the output guard and publishes them. Everything that touches the web app's database
or channel layer goes through a ``ReplySink``, the one narrow door to Django
(``supportbot.serving.worker_adapter``): it stores the reply once and announces it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, Protocol

from inference_worker.attempts import Attempt, AttemptCounter, SuspectWaited
from inference_worker.engine import Engine, QueueFull
from inference_worker.jobs import ReplyJob
from inference_worker.metrics import EngineMetrics
from inference_worker.output_guard import Checker, GuardDecision, StreamGuard
from inference_worker.sequence import FinishReason, StreamEvent
from inference_worker.streaming import RelayResult, relay_events

logger = logging.getLogger(__name__)

Frame = dict[str, Any]
RunOnLoop = Callable[[Coroutine[Any, Any, Any]], Any]
PUBLISH_ERROR_LOG_EVERY_S = 10.0


class EngineBusy(Exception):
    """The engine's waiting queue is full; the job should be retried shortly."""


class ServeResult(enum.StrEnum):
    REPLIED = "replied"  # generated and stored now
    FAILED = "failed"  # no reply stored; the customer was told, the question stays open
    ABORTED = "aborted"  # stopped on request (the customer left); the question stays open
    ALREADY_ANSWERED = "already_answered"  # its reply is stored already (announced again)
    JOINED = "joined"  # a copy of a job this runtime was still generating
    BLOCKED = "blocked"  # the output guard stopped it; a safe reply was stored instead
    REPLACED = "replaced"  # a quality check stopped it; the source's text (or a person) instead
    GAVE_UP = "gave_up"  # earlier generations kept dying with their worker: not tried again


class ReplySink(Protocol):
    """What the runtime needs from the web app, and nothing more. A sink that counts
    generations, so that a reply killing its workers is given up, also implements
    ``inference_worker.attempts.AttemptSink``."""

    def attach(self, run_on_loop: RunOnLoop) -> None:
        """The runtime's publishing loop: frames the sink announces go through it, so a
        reply's final frame never overtakes its deltas."""

    def announce_stored_reply(self, job: ReplyJob) -> bool:
        """If the job's reply is stored already, announce it again and return True."""

    def job_started(self, job: ReplyJob) -> None:
        """Record that this process is generating ``job`` (so its death can be noticed)."""

    def job_abandoned(self, job: ReplyJob, *, will_retry: bool) -> None:
        """The job ends without a stored reply; ``will_retry``: it is queued again."""

    def job_finished(self, job: ReplyJob) -> None:
        """The job is over, however it ended (the conversation may take its next reply)."""

    def output_checker(self, job: ReplyJob) -> Checker | None:
        """The output guard's check for this job's reply, or None to stream unchecked."""

    def store_reply(self, job: ReplyJob, event: StreamEvent, *, worker: str) -> bool:
        """Store the finished generation once (keyed by the message it answers), end the
        job's records and announce the outcome to the customer; True if a reply is stored."""

    def store_blocked_reply(
        self, job: ReplyJob, event: StreamEvent, decision: GuardDecision, *, worker: str
    ) -> None:
        """The guard stopped the reply: retract it, store a safe one instead, log and
        escalate, and announce it."""

    def store_replaced_reply(
        self, job: ReplyJob, event: StreamEvent, decision: GuardDecision, *, worker: str
    ) -> None:
        """A quality check stopped the reply (unsupported facts, wrong language): retract
        it and store what replaces it (the source's own text, or a hand-over)."""

    def delta_frame(self, job: ReplyJob, text: str) -> Frame: ...

    def restart_frame(self, job: ReplyJob) -> Frame: ...

    def failed_frame(self, job: ReplyJob) -> Frame: ...

    async def publish(self, conversation: str, frame: Frame) -> None:
        """Send a frame that reports nothing stored (a delta, a restart) to the
        conversation's sockets (best effort)."""


@dataclass(slots=True)
class Generation:
    """A job the engine has taken: its relay runs on the runtime's loop."""

    job: ReplyJob
    relay: concurrent.futures.Future[RelayResult]
    done: concurrent.futures.Future[ServeResult]
    attempt: Attempt | None = None


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
        loop: asyncio.AbstractEventLoop | None = None,
        isolate_suspects: bool = False,
    ) -> None:
        """``loop``: publish on this running loop (the web server's, in the embedded
        default); without one the runtime starts a loop thread of its own.
        ``isolate_suspects``: run a reply whose earlier generation died alone, so that only
        its own deaths count against it (``inference_worker.attempts``); a Celery worker's
        runtime does, the embedded one must never block a customer's message on it."""
        self.engine = engine
        self.sink = sink
        self.worker = worker
        self.coalesce_s = coalesce_s
        self.job_timeout_s = job_timeout_s
        self.metrics = EngineMetrics(variant=variant, worker=worker, stats=engine.stats)
        self.attempts = AttemptCounter(sink, isolate=isolate_suspects, wait_s=job_timeout_s)
        self._inflight: dict[str, Generation] = {}
        self._inflight_lock = threading.Lock()
        self._close_callbacks: list[Callable[[], None]] = []
        self._last_publish_error = float("-inf")
        self._own_loop = loop is None
        self._loop = loop or asyncio.new_event_loop()
        if self._own_loop:
            self._loop_thread = threading.Thread(
                target=self._loop.run_forever, name="supportbot-publisher", daemon=True
            )
            self._loop_thread.start()
        sink.attach(self.run_on_loop)

    def on_close(self, callback: Callable[[], None]) -> None:
        self._close_callbacks.append(callback)

    def close(self) -> None:
        for callback in self._close_callbacks:
            callback()
        self.engine.stop()
        if self._own_loop:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._loop_thread.join(timeout=5)

    def run_on_loop(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        """Run ``coroutine`` on the publishing loop and wait for it (from another thread)."""
        if self._loop.is_closed():
            coroutine.close()  # the server is gone; nobody is left to tell
            raise RuntimeError("the publishing loop is closed")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=30)

    def is_generating(self, request_id: str) -> bool:
        with self._inflight_lock:
            return request_id in self._inflight

    def abort(self, request_id: str) -> None:
        self.engine.abort(request_id)

    def inflight_ids(self) -> list[str]:
        with self._inflight_lock:
            return list(self._inflight)

    # -- serving -----------------------------------------------------------------------

    def serve(self, job: ReplyJob, *, redelivered: bool = False) -> ServeResult:
        """Generate, stream and store the reply to ``job``; idempotent per job.

        Raises ``EngineBusy`` when the engine cannot take the job now.
        """
        started = self.start(job, redelivered=redelivered)
        if started is ServeResult.JOINED:
            # The broker gave us our own unfinished job again (visibility timeout passed):
            # acknowledge this copy once the running one is done.
            self.wait_for(job.request_id)
            return ServeResult.JOINED
        if isinstance(started, ServeResult):
            return started
        return self.finish(started)

    def start(self, job: ReplyJob, *, redelivered: bool = False) -> Generation | ServeResult:
        """Check, render and submit ``job`` and return at once: its ``Generation``, or
        ``JOINED`` (this runtime is generating it already) or ``ALREADY_ANSWERED``.

        Raises ``EngineBusy`` when the engine cannot take the job now.
        """
        if self.is_generating(job.request_id):
            return ServeResult.JOINED
        try:
            if self.sink.announce_stored_reply(job):
                return ServeResult.ALREADY_ANSWERED
        except Exception:
            logger.exception("checking for a stored reply to %s failed", job.request_id)
        return self._submit(job, redelivered)

    def wait_for(self, request_id: str) -> None:
        """Block until this runtime's generation of ``request_id`` (if any) is stored."""
        with self._inflight_lock:
            running = self._inflight.get(request_id)
        if running is not None:
            with contextlib.suppress(concurrent.futures.TimeoutError):
                running.done.result(timeout=self.job_timeout_s)

    def _submit(self, job: ReplyJob, redelivered: bool) -> Generation | ServeResult:
        events: asyncio.Queue[StreamEvent] = asyncio.Queue()
        done: concurrent.futures.Future[ServeResult] = concurrent.futures.Future()
        with self._inflight_lock:
            if job.request_id in self._inflight:
                return ServeResult.JOINED
            placeholder = Generation(job, concurrent.futures.Future(), done)
            self._inflight[job.request_id] = placeholder
        if self.attempts.isolate:
            # It may wait at the gate behind a suspect that kills this process: recorded
            # now, the job is restarted with the rest rather than left to the broker.
            self._quietly(self.sink.job_started, job)
        try:
            placeholder.attempt = self.attempts.begin(job)
        except SuspectWaited as exc:
            self._quietly(self.sink.job_abandoned, job, will_retry=True)
            self._forget(placeholder, None)
            raise EngineBusy(str(exc)) from exc
        if placeholder.attempt is None:
            self._forget(placeholder, ServeResult.GAVE_UP)
            self._finished(job)
            return ServeResult.GAVE_UP
        if placeholder.attempt.alone:
            self.metrics.isolated.inc()
        try:
            prompt = job.render(self.engine.tokenizer, instruct=self.engine.is_instruct)
            request = job.generation_request(prompt)

            def to_loop(event: StreamEvent) -> None:  # engine thread
                if not self._loop.is_closed():  # else the server is gone: nobody listens
                    self._loop.call_soon_threadsafe(events.put_nowait, event)

            if redelivered:
                # Told before the engine starts: a worker that dies on its first token
                # (as the last one did) must not take the customer's notice with it.
                self.metrics.redelivered.inc()
                logger.info("job %s redelivered; generating it again", job.request_id)
                self._publish(job.conversation, self.sink.restart_frame(job))
            self.engine.submit(request, self.metrics.observe(to_loop))
        except QueueFull as exc:
            self.attempts.end(placeholder.attempt)
            self._quietly(self.sink.job_abandoned, job, will_retry=True)
            self._forget(placeholder, None)
            raise EngineBusy(str(exc)) from exc
        except Exception:
            logger.exception("preparing %s failed", job.request_id)
            self.attempts.end(placeholder.attempt)
            self._quietly(self.sink.job_abandoned, job, will_retry=False)
            self._forget(placeholder, None)
            self._finished(job)
            raise

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
        placeholder.relay = relay
        return placeholder

    def finish(self, generation: Generation) -> ServeResult:
        """Wait for the generation, store its reply once and announce it (blocking)."""
        result = ServeResult.FAILED
        try:
            result = self._finish(generation)
        finally:
            self.attempts.end(generation.attempt)
            self._forget(generation, result)
            self._finished(generation.job)
        return result

    @staticmethod
    def _quietly(record: Callable[..., None], job: ReplyJob, **kwargs: Any) -> None:
        try:
            record(job, **kwargs)
        except Exception:
            logger.warning("could not record %s of %s", record.__name__, job.request_id)

    def _finished(self, job: ReplyJob) -> None:
        try:
            self.sink.job_finished(job)
        except Exception:
            logger.exception("ending %s failed", job.request_id)

    def _forget(self, generation: Generation, result: ServeResult | None) -> None:
        with self._inflight_lock:
            if self._inflight.get(generation.job.request_id) is generation:
                del self._inflight[generation.job.request_id]
        if not generation.done.done():
            generation.done.set_result(result or ServeResult.FAILED)

    def _finish(self, generation: Generation) -> ServeResult:
        job = generation.job
        try:
            self.sink.job_started(job)
            try:
                outcome = self._wait(generation)
            except Exception:
                # Tell the customer and leave the question unanswered (their next resume
                # asks again) rather than acknowledge a job that produced nothing.
                logger.exception("generating %s failed", job.request_id)
                failed = StreamEvent(
                    job.request_id, "", done=True, finish_reason=FinishReason.ERROR
                )
                outcome = RelayResult(failed)
            if outcome.blocked is not None and outcome.blocked.kind != "safety":
                logger.info("%s replaced: %s", job.request_id, outcome.blocked.reason)
                self.sink.store_replaced_reply(
                    job, outcome.event, outcome.blocked, worker=self.worker
                )
                return ServeResult.REPLACED
            if outcome.blocked is not None:
                logger.warning(
                    "output guard stopped %s: %s", job.request_id, outcome.blocked.reason
                )
                self.sink.store_blocked_reply(
                    job, outcome.event, outcome.blocked, worker=self.worker
                )
                return ServeResult.BLOCKED
            if self.sink.store_reply(job, outcome.event, worker=self.worker):
                return ServeResult.REPLIED
            if outcome.event.finish_reason == FinishReason.ABORT:
                return ServeResult.ABORTED
            return ServeResult.FAILED
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

    def _wait(self, generation: Generation) -> RelayResult:
        try:
            return generation.relay.result(timeout=self.job_timeout_s)
        except concurrent.futures.TimeoutError:
            job = generation.job
            logger.error("%s still generating after %.0f s", job.request_id, self.job_timeout_s)
            self.engine.abort(job.request_id)
            generation.relay.cancel()
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
        self.run_on_loop(self._publish_quietly(conversation, frame))
