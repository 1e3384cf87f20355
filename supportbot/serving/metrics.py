"""The serving side's Prometheus metrics: dispatch outcomes in the web process, and the
engine metrics each worker publishes to Redis for ``/metrics`` to relay (``supportbot.ops``).
"""

from __future__ import annotations

import json
import threading
import time

from django.conf import settings
from prometheus_client import CollectorRegistry, Counter

WORKER_KEY_PREFIX = "supportbot:worker-metrics:"
WORKER_ENTRY_TTL_S = 30

registry = CollectorRegistry(auto_describe=False)
dispatches = Counter(
    "supportbot_dispatches",
    "Reply jobs the web asked for, by outcome (queued, busy, unavailable)",
    ["outcome"],
    registry=registry,
)


def redis_client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=2)


def publish_worker_metrics(worker: str, exposition: bytes, client=None) -> None:
    """Store one worker's current metrics (called by the worker every few seconds)."""
    client = client or redis_client()
    entry = json.dumps({"at": time.time(), "text": exposition.decode()})
    client.set(WORKER_KEY_PREFIX + worker, entry, ex=WORKER_ENTRY_TTL_S)


# The embedded default's engines register their metrics here for /metrics to report.
_local_engines: list = []
_local_lock = threading.Lock()


def track_local_engine(metrics) -> None:
    """An engine of this process (``EngineMetrics``) that /metrics should report."""
    with _local_lock:
        _local_engines.append(metrics)


def forget_local_engines() -> None:
    with _local_lock:
        _local_engines.clear()


def local_engine_metrics() -> list:
    with _local_lock:
        return list(_local_engines)
