"""The embedded default's dispatcher: the worker runtime inside the web process.

Jobs go to the same ``WorkerRuntime`` a Celery worker runs (``inference_worker.serving``),
through the same ``DjangoReplySink``; only the transport differs: no broker, and frames are
published on the web server's own event loop (the in-memory channel layer lives there).

Every enabled variant is served. Variants whose model and engine settings agree share one
engine; a variant with another model gets its own, loaded on first use (a clear
``unavailable`` error if it cannot load). A reply still generating when the customer's last
socket closes is aborted after a grace period, and generated again if they come back first.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from dataclasses import replace

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections

from inference_worker.engine import Engine
from inference_worker.jobs import ReplyJob
from inference_worker.serving import EngineBusy, Generation, ServeResult, WorkerRuntime
from supportbot.chat.dispatching import DispatchError
from supportbot.serving import metrics as serving_metrics
from supportbot.serving import reply_slots
from supportbot.serving.engines import (
    VariantSettings,
    check_variant,
    engine_config,
    variant_settings,
)
from supportbot.serving.metrics import dispatches
from supportbot.serving.worker_adapter import DjangoReplySink

logger = logging.getLogger(__name__)

DEFAULT_VARIANT = "default"


class InProcessDispatcher:
    """Runs the engines on threads of the web process (SQLite, no Redis, no GPU needed)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engine_lock = threading.Lock()
        # One loaded engine, and its runtime, per distinct engine settings.
        self._engines: dict[tuple, Engine] = {}
        self._runtimes: dict[tuple, WorkerRuntime] = {}
        self._tracked: set[tuple] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        options = settings.SUPPORTBOT
        # Job threads wait on the engine; the engine's batch width bounds useful concurrency.
        self._threads = concurrent.futures.ThreadPoolExecutor(
            max_workers=options["MAX_BATCH_SIZE"] + options["MAX_WAITING"],
            thread_name_prefix="reply-job",
        )
        self._background: set[asyncio.Future] = set()
        self._watchers: dict[str, int] = {}
        self._abandon_timers: dict[str, asyncio.TimerHandle] = {}

    # -- engines -----------------------------------------------------------------------

    def _engine_for(self, variant: VariantSettings) -> Engine:
        """The loaded engine for ``variant``'s settings (blocking: loads on first use)."""
        with self._engine_lock:
            engine = self._engines.get(variant.engine_key)
            if engine is None:
                options = settings.SUPPORTBOT
                config = engine_config(
                    variant,
                    batch_width=options["MAX_BATCH_SIZE"],
                    max_waiting=options["MAX_WAITING"],
                )
                engine = Engine.from_config(config)
                check_variant(variant.name, engine)
                engine.start()
                self._engines[variant.engine_key] = engine
            return engine

    def runtime_for(self, variant: VariantSettings) -> WorkerRuntime:
        """The runtime serving ``variant`` on the server's loop (blocking: may load)."""
        engine = self._engine_for(variant)
        with self._lock:
            runtime = self._runtimes.get(variant.engine_key)
            if runtime is None:
                if self._loop is None:
                    raise RuntimeError("no event loop yet: runtimes start with the first job")
                options = settings.SUPPORTBOT
                runtime = WorkerRuntime(
                    engine,
                    DjangoReplySink(follow_up=self._follow_up_threadsafe),
                    worker="web",
                    variant=variant.name,
                    coalesce_s=options["COALESCE_MS"] / 1000,
                    job_timeout_s=options["GENERATION_TIMEOUT_S"],
                    loop=self._loop,
                )
                self._runtimes[variant.engine_key] = runtime
                if variant.engine_key not in self._tracked:
                    # Once per engine; a later runtime on a new loop shares its counters' job.
                    self._tracked.add(variant.engine_key)
                    serving_metrics.track_local_engine(runtime.metrics)
            return runtime

    def install_engine(self, variant: str, engine: Engine) -> None:
        """Serve ``variant`` with an engine built elsewhere (a benchmark's, a test's)."""
        with self._engine_lock:
            self._engines[variant_settings(variant).engine_key] = engine
        with self._lock:
            self._runtimes.pop(variant_settings(variant).engine_key, None)

    def is_generating(self, request_id: str) -> bool:
        with self._lock:
            runtimes = list(self._runtimes.values())
        return any(runtime.is_generating(request_id) for runtime in runtimes)

    def engine(self, variant: str = DEFAULT_VARIANT) -> Engine:
        """The engine that serves ``variant`` (blocking; call from a thread)."""
        try:
            return self._engine_for(variant_settings(variant))
        finally:
            close_old_connections()

    def preload(self) -> None:
        """Load the default variant's model (from a thread, before the first customer)."""
        from supportbot.experiments.models import ModelVariant

        try:
            self._engine_for(variant_settings(ModelVariant.get_default().name))
        finally:
            close_old_connections()

    def shutdown(self) -> None:
        with self._lock:
            self._runtimes = {}
        with self._engine_lock:
            engines, self._engines = list(self._engines.values()), {}
        for engine in engines:
            engine.stop()
        serving_metrics.forget_local_engines()

    # -- jobs --------------------------------------------------------------------------

    async def dispatch(self, job: ReplyJob) -> None:
        """Start generating ``job``'s reply; raise ``DispatchError`` if it cannot be queued.

        Idempotent per reply: a job already generating or answered is ignored (two tabs
        resuming at once find the same unanswered message).
        """
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._loop is not loop:
                # The server's loop (a test run may bring a new one): runtimes publish on it.
                self._loop, self._runtimes = loop, {}
        hold_s = settings.SUPPORTBOT["GENERATION_TIMEOUT_S"] + 30
        if not await sync_to_async(reply_slots.claim, thread_sensitive=False)(
            job.conversation, job.request_id, hold_s
        ):
            dispatches.labels(outcome="deferred").inc()
            return  # answered when the reply in flight ends (``_follow_up``)
        try:
            started = await loop.run_in_executor(self._threads, self._start, job)
        except EngineBusy as exc:
            dispatches.labels(outcome="busy").inc()
            await self._release(job)
            raise DispatchError("busy", "The assistant is busy.") from exc
        except Exception as exc:
            logger.exception("cannot prepare the reply to message %s", job.reply_to_id)
            dispatches.labels(outcome="unavailable").inc()
            await self._release(job)
            raise DispatchError("unavailable", "The assistant is not available.") from exc
        if isinstance(started, ServeResult):
            return  # generating already, or answered
        dispatches.labels(outcome="queued").inc()
        runtime, generation = started
        finished = loop.run_in_executor(self._threads, self._finish, runtime, generation)
        finished.add_done_callback(lambda f: self._after(job, f))

    @staticmethod
    async def _release(job: ReplyJob) -> None:
        # A cache call: off the loop every socket shares.
        await sync_to_async(reply_slots.release_quietly, thread_sensitive=False)(
            job.conversation, job.request_id
        )

    def _start(self, job: ReplyJob) -> tuple[WorkerRuntime, Generation] | ServeResult:
        try:
            variant = variant_settings(job.variant)
            runtime = self.runtime_for(variant)
            # Variants sharing an engine keep their own reply length.
            started = runtime.start(replace(job, max_new_tokens=variant.max_new_tokens))
        finally:
            close_old_connections()
        return started if isinstance(started, ServeResult) else (runtime, started)

    @staticmethod
    def _finish(runtime: WorkerRuntime, generation: Generation) -> ServeResult:
        try:
            return runtime.finish(generation)
        finally:
            close_old_connections()

    def _after(self, job: ReplyJob, finished: asyncio.Future[ServeResult]) -> None:
        if finished.cancelled() or finished.exception() is not None:
            return
        if finished.result() is ServeResult.ABORTED and self._watchers.get(job.conversation):
            # Abandoned, but the customer came back before the abort landed: answer anyway.
            task = asyncio.ensure_future(self._redispatch(job))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    def _follow_up_threadsafe(self, conversation: str) -> None:
        """From a job thread: answer ``conversation``'s newest message on the server loop."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            asyncio.run_coroutine_threadsafe(self._follow_up(conversation), loop)

    async def _follow_up(self, conversation: str) -> None:
        from supportbot.chat.services import follow_up_job

        try:
            job = await database_sync_to_async(follow_up_job)(conversation)
            if job is not None:
                await self.dispatch(job)
        except Exception:
            logger.warning("could not answer %s's waiting message", conversation, exc_info=True)

    async def _redispatch(self, job: ReplyJob) -> None:
        try:
            await self.dispatch(job)
        except DispatchError:
            logger.info("could not restart %s; the customer's resume will", job.request_id)

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
        with self._lock:
            runtimes = list(self._runtimes.values())
        for runtime in runtimes:
            for request_id in runtime.inflight_ids():
                if request_id.startswith(f"{conversation}:"):
                    logger.info("customer left; aborting %s", request_id)
                    runtime.abort(request_id)
