"""The life of a Celery reply-worker process: start the engine, keep house, stop.

At ``worker_init`` the process checks it can do its job (one variant queue, Redis for the
channel layer and cache, the threads pool), loads the variant's model and starts one
housekeeping thread that heartbeats, publishes metrics and restarts the jobs of dead
workers (``job_registry``). Any failure here stops the worker before it takes a job.
"""

from __future__ import annotations

import logging
import sys
import threading
import time

from django.conf import settings
from django.db import connections

from inference_worker.engine import Engine
from inference_worker.serving import WorkerRuntime
from supportbot.serving import job_registry
from supportbot.serving.celery_dispatch import follow_up
from supportbot.serving.engines import check_variant, engine_config, variant_settings
from supportbot.serving.queues import REPLY_TASK, variant_of_queues, variant_queue
from supportbot.serving.worker_adapter import DjangoReplySink

logger = logging.getLogger(__name__)

# The engine thread runs Python between kernels and holds the GIL for the default 5 ms
# slices; the broker consumer and the publishing loop wait behind it on every hop.
GIL_SWITCH_INTERVAL_S = 0.001

_runtime: WorkerRuntime | None = None
_runtime_lock = threading.Lock()


class WorkerMisconfigured(RuntimeError):
    pass


def configure_worker(*, queues: list[str], hostname: str, concurrency: int, pool: str) -> None:
    """Called when a Celery worker starts: check, then load the variant's model."""
    global _runtime
    variant = variant_of_queues(queues)
    if "prefork" in pool:
        raise WorkerMisconfigured(
            "start reply workers with -P threads: prefork children would each load the model"
        )
    layer = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    if not settings.REDIS_URL or "channels_redis" not in layer:
        raise WorkerMisconfigured(
            "a reply worker needs REDIS_URL: replies reach the customers' sockets through "
            f"the Redis channel layer (this process has {layer})"
        )
    sys.setswitchinterval(GIL_SWITCH_INTERVAL_S)
    # The broker is the queue; the engine only holds what the worker has taken.
    config = engine_config(
        variant_settings(variant), batch_width=concurrency, max_waiting=max(concurrency, 1)
    )
    engine = Engine.from_config(config)
    check_variant(variant, engine)
    engine.start()
    client = job_registry.redis_client()
    job_registry.heartbeat(client)  # alive before the first job is recorded
    with _runtime_lock:
        _runtime = WorkerRuntime(
            engine,
            DjangoReplySink(job_registry.RedisJobRecords(client), follow_up=follow_up),
            worker=hostname,
            variant=variant,
            coalesce_s=settings.SUPPORTBOT["COALESCE_MS"] / 1000,
            job_timeout_s=settings.SUPPORTBOT["GENERATION_TIMEOUT_S"],
            isolate_suspects=True,
        )
    _start_housekeeping(_runtime, client)
    # This thread only loaded the model; the task threads open their own connections.
    connections.close_all()
    logger.info(
        "worker %s (process %s) serves variant %s (%s, %s) with batch width %d",
        hostname, job_registry.PROCESS_ID, variant, config.model, config.quantization,
        concurrency,
    )  # fmt: skip


def runtime() -> WorkerRuntime:
    if _runtime is None:
        raise WorkerMisconfigured("this process started no reply runtime (see the worker log)")
    return _runtime


def requeue_as_restart(payload: dict) -> None:
    from celery import current_app

    current_app.send_task(
        REPLY_TASK,
        args=(payload,),
        kwargs={"restart": True},
        queue=variant_queue(payload["variant"]),
        argsrepr=f"<ReplyJob {payload['conversation']}:{payload['reply_to_seq']}>",
        kwargsrepr="{restart: True}",
    )


def _start_housekeeping(runtime: WorkerRuntime, client) -> None:
    """Heartbeat, publish metrics and restart dead workers' jobs, until the runtime closes."""
    from prometheus_client import generate_latest

    from supportbot.serving.metrics import publish_worker_metrics

    metrics_every = settings.SUPPORTBOT["WORKER_METRICS_INTERVAL_S"]
    stop = threading.Event()
    runtime.on_close(stop.set)

    def keep_house() -> None:
        last_metrics = float("-inf")
        while not stop.wait(job_registry.HEARTBEAT_EVERY_S):
            try:
                job_registry.heartbeat(client)
                job_registry.requeue_orphans(client, requeue_as_restart)
                if time.monotonic() - last_metrics >= metrics_every:
                    last_metrics = time.monotonic()
                    exposition = generate_latest(runtime.metrics.registry)
                    publish_worker_metrics(runtime.worker, exposition, client)
            except Exception:
                logger.warning("worker housekeeping failed; retrying", exc_info=True)

    threading.Thread(target=keep_house, name="worker-housekeeping", daemon=True).start()


def shutdown_worker() -> None:
    global _runtime
    with _runtime_lock:
        if _runtime is not None:
            _runtime.close()
            _runtime = None
