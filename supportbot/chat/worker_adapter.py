"""The one door between an inference worker and the Django app.

``inference_worker`` never imports Django. A Celery worker process builds its runtime here:
the variant it serves (from the queue it consumes), the engine for that variant's model,
and ``DjangoReplySink``, through which the runtime reads and stores replies and publishes
frames to the conversation's channel-layer group.
"""

from __future__ import annotations

import logging
import sys
import threading

from django.conf import settings
from django.core.cache import cache

from inference_worker.config import EngineConfig, SamplingDefaults
from inference_worker.engine import Engine
from inference_worker.jobs import ReplyJob
from inference_worker.sequence import StreamEvent
from inference_worker.serving import Frame, WorkerRuntime
from supportbot.celery import QUEUE_PREFIX
from supportbot.chat import frames
from supportbot.chat.dispatch import job_marker_key, send_to_conversation
from supportbot.chat.models import Actor, Message
from supportbot.chat.services import ReplyOutcome, store_bot_reply
from supportbot.experiments.models import ModelVariant

logger = logging.getLogger(__name__)


class DjangoReplySink:
    def stored_reply_frame(self, job: ReplyJob) -> Frame | None:
        reply = Message.objects.filter(reply_to_id=job.reply_to_id, role=Actor.BOT).first()
        return None if reply is None else frames.bot_done(reply, job.reply_to_seq)

    def store_reply(self, job: ReplyJob, event: StreamEvent, *, worker: str) -> Frame:
        outcome = ReplyOutcome.from_stream(event, queued_at=job.queued_at, worker=worker)
        reply, _created = store_bot_reply(job.reply_to_id, outcome)
        try:
            cache.delete(job_marker_key(job.request_id))
        except Exception:
            # The marker expires on its own; it only delays a redispatch on resume.
            logger.warning("could not clear the job marker of %s", job.request_id)
        if reply is None:
            return frames.bot_failed(job.reply_to_seq)
        return frames.bot_done(reply, job.reply_to_seq)

    def delta_frame(self, job: ReplyJob, text: str) -> Frame:
        return frames.bot_delta(job.reply_to_seq, text)

    def restart_frame(self, job: ReplyJob) -> Frame:
        return frames.bot_restart(job.reply_to_seq)

    async def publish(self, conversation: str, frame: Frame) -> None:
        await send_to_conversation(conversation, frame)


# -- the worker process's runtime ---------------------------------------------------------

GIL_SWITCH_INTERVAL_S = 0.001

_runtime: WorkerRuntime | None = None
_runtime_lock = threading.Lock()
_worker: dict[str, object] = {}


def variant_of_queues(queues: list[str]) -> str:
    """The variant a worker serves, from its ``-Q`` queues (exactly one ``variant.<name>``)."""
    variants = [q.removeprefix(QUEUE_PREFIX) for q in queues if q.startswith(QUEUE_PREFIX)]
    if len(variants) != 1:
        raise RuntimeError(
            f"a reply worker serves exactly one model variant; start it with "
            f"-Q {QUEUE_PREFIX}<name> (got queues {queues})"
        )
    return variants[0]


def _check_variant(variant_name: str, engine: Engine) -> None:
    """Say loudly when the variant's declared shape differs from what was loaded."""
    variant = ModelVariant.objects.filter(name=variant_name).first()
    if variant is not None and engine.is_moe is not None and variant.is_moe != engine.is_moe:
        logger.warning(
            "variant %s says is_moe=%s but %s loaded as %s; fix the variant",
            variant_name, variant.is_moe, variant.model, "MoE" if engine.is_moe else "dense",
        )  # fmt: skip
    if engine.quantization_report is not None:
        logger.info("variant %s: %s", variant_name, engine.quantization_report.summary())


def engine_config_for(variant_name: str, *, batch_width: int) -> EngineConfig:
    """The engine settings of a variant: its row if it exists, else the deployment's default."""
    options = settings.SUPPORTBOT
    variant = ModelVariant.objects.filter(name=variant_name).first()
    model, quantization, context, generation = options["MODEL"], "none", 2048, {}
    if variant is not None:
        model, quantization = variant.model, variant.quantization
        context, generation = variant.context_length, dict(variant.generation or {})
    else:
        logger.warning(
            "no model variant %r in the database; serving the default model %s",
            variant_name,
            model,
        )
    sampling_keys = set(SamplingDefaults.__slots__)
    return EngineConfig(
        model=model,
        device=options["DEVICE"],
        quantization=quantization,
        max_batch_size=batch_width,
        # The broker is the queue; the engine only holds what the worker has taken.
        max_waiting=max(batch_width, 1),
        max_new_tokens=min(options["MAX_NEW_TOKENS"], context - 1),
        max_context_tokens=context,
        sampling=SamplingDefaults(**{k: v for k, v in generation.items() if k in sampling_keys}),
    )


def configure_worker(*, queues: list[str], hostname: str, concurrency: int, pool: str) -> None:
    """Called when a Celery worker starts: load its variant's model (blocks until ready)."""
    variant = variant_of_queues(queues)
    # The engine thread runs Python between kernels and holds the GIL for the default 5 ms
    # slices; the broker consumer and the publishing loop wait behind it on every hop.
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    _worker.update(variant=variant, hostname=hostname, concurrency=concurrency)
    if "prefork" in pool:
        # Each child process would load its own copy of the model; start it lazily there.
        logger.warning("use -P threads: with %s every child process loads the model", pool)
        return
    runtime()


def runtime() -> WorkerRuntime:
    global _runtime
    with _runtime_lock:
        if _runtime is None:
            variant = str(_worker.get("variant", "default"))
            width = int(_worker.get("concurrency") or settings.SUPPORTBOT["MAX_BATCH_SIZE"])
            config = engine_config_for(variant, batch_width=width)
            engine = Engine.from_config(config)
            _check_variant(variant, engine)
            engine.start()
            _runtime = WorkerRuntime(
                engine,
                DjangoReplySink(),
                worker=str(_worker.get("hostname", "worker")),
                variant=variant,
                coalesce_s=settings.SUPPORTBOT["COALESCE_MS"] / 1000,
                job_timeout_s=settings.SUPPORTBOT["GENERATION_TIMEOUT_S"],
            )
            _start_metrics_publisher(_runtime)
            logger.info(
                "worker %s serves variant %s (%s, %s) with batch width %d",
                _runtime.worker, variant, config.model, config.quantization, width,
            )  # fmt: skip
        return _runtime


def _start_metrics_publisher(runtime: WorkerRuntime) -> None:
    """Publish this worker's metrics to Redis every few seconds for the web's /metrics."""
    from prometheus_client import generate_latest

    from supportbot.ops.metrics import publish_worker_metrics, redis_client

    interval = settings.SUPPORTBOT["WORKER_METRICS_INTERVAL_S"]
    stop = threading.Event()
    runtime.on_close(stop.set)

    def publish_forever() -> None:
        client = redis_client()
        while not stop.wait(interval):
            try:
                publish_worker_metrics(
                    runtime.worker, generate_latest(runtime.metrics.registry), client
                )
            except Exception:
                logger.warning("cannot publish worker metrics", exc_info=True)

    threading.Thread(target=publish_forever, name="metrics-publisher", daemon=True).start()


def shutdown_worker() -> None:
    global _runtime
    with _runtime_lock:
        if _runtime is not None:
            _runtime.close()
            _runtime = None
