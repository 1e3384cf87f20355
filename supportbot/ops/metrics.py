"""Operator metrics at ``/metrics`` in Prometheus text format.

One scrape target for the whole deployment: the web process reports the broker's queue
depth per variant and its dispatch outcomes, and relays the engine metrics that every
worker publishes to Redis (``publish_worker_metrics``); in the embedded default it reports
its own engine's. A worker's entry expires shortly after the worker stops.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import Collector

from supportbot.serving import metrics as serving_metrics
from supportbot.serving.metrics import WORKER_KEY_PREFIX, redis_client

logger = logging.getLogger(__name__)

# Not auto-described: the collectors read the database, which must not happen at import.
registry = CollectorRegistry(auto_describe=False)


def merge_families(expositions: Iterable[str]) -> list[Metric]:
    """Combine several processes' expositions into one family per metric name."""
    merged: dict[str, Metric] = {}
    for text in expositions:
        for family in text_string_to_metric_families(text):
            target = merged.get(family.name)
            if target is None:
                target = merged[family.name] = Metric(
                    family.name, family.documentation, family.type, family.unit
                )
            target.samples.extend(family.samples)
    return list(merged.values())


@dataclass(frozen=True, slots=True)
class WorkerEntry:
    """One worker's latest published metrics: its name, when (epoch seconds), the text."""

    worker: str
    at: float | None
    text: str


def worker_entries() -> list[WorkerEntry]:
    """The entries the workers published to Redis (``publish_worker_metrics``), by name.

    Empty without ``REDIS_URL``; raises when Redis cannot be read (callers decide how to
    report that).
    """
    if not settings.REDIS_URL:
        return []
    client = redis_client()
    keys = sorted(client.scan_iter(match=WORKER_KEY_PREFIX + "*", count=100))
    if not keys:
        return []
    entries = []
    for key, raw in zip(keys, client.mget(keys), strict=True):
        if raw:  # expired between the scan and the read
            entry = json.loads(raw)
            worker = key.decode().removeprefix(WORKER_KEY_PREFIX)
            entries.append(WorkerEntry(worker, entry.get("at"), entry["text"]))
    return entries


class WorkerMetricsCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        if not settings.REDIS_URL:
            return
        try:
            entries = worker_entries()
        except Exception:
            logger.warning("cannot read worker metrics from Redis", exc_info=True)
            return
        workers = GaugeMetricFamily(
            "supportbot_workers", "Workers that published metrics in the last 30 s"
        )
        workers.add_metric([], len(entries))
        yield workers
        yield from merge_families(entry.text for entry in entries)


def queue_depths() -> dict[str, int | None]:
    """Jobs waiting in the broker for each variant, None where the broker did not answer
    (meaningful in Celery mode only)."""
    from supportbot.experiments.models import ModelVariant
    from supportbot.serving.celery_dispatch import queue_depth
    from supportbot.serving.queues import variant_queue

    depths: dict[str, int | None] = {}
    for name in ModelVariant.objects.values_list("name", flat=True):
        try:
            depths[name] = queue_depth(variant_queue(name))
        except Exception:
            logger.warning("cannot read the depth of variant %s's queue", name)
            depths[name] = None
    return depths


class QueueDepthCollector(Collector):
    """Jobs waiting in the broker for each variant (Celery mode only)."""

    def collect(self) -> Iterator[Metric]:
        if settings.SUPPORTBOT["ENGINE"] != "celery":
            return
        family = GaugeMetricFamily(
            "supportbot_queue_depth", "Reply jobs waiting for a worker", labels=["variant"]
        )
        for name, depth in queue_depths().items():
            if depth is not None:
                family.add_metric([name], depth)
        yield family


class InProcessEngineCollector(Collector):
    """The embedded default's engine, when it has been started in this process."""

    def collect(self) -> Iterator[Metric]:
        if settings.SUPPORTBOT["ENGINE"] != "inprocess":
            return
        for metrics in serving_metrics.local_engine_metrics():
            yield from metrics.registry.collect()


class ServingCollector(Collector):
    """The web process's own serving counters (dispatch outcomes)."""

    def collect(self) -> Iterator[Metric]:
        yield from serving_metrics.registry.collect()


registry.register(ServingCollector())
registry.register(QueueDepthCollector())
registry.register(WorkerMetricsCollector())
registry.register(InProcessEngineCollector())


def exposition() -> bytes:
    return generate_latest(registry)
