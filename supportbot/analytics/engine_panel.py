"""The dashboard's engine panel (``/dashboard/api/engine``): per worker and variant, what the
engines already report for ``/metrics``, as JSON.

The figures come from the same places as ``/metrics`` (``supportbot.ops.metrics``): the
entries the Celery workers publish to Redis, the embedded default's engines in this process,
and the broker's queue depth per variant in Celery mode. Nothing new is published for this.

Exact (as of the engine's last report; a worker publishes every few seconds, see
``as_of``): counts of tokens, requests, observations, redeliveries and publish failures,
the running and waiting gauges, GPU memory, queue depth. ``tokens_per_second`` is the
engine's own rate over its last 10 s. Latency percentiles are approximations from histogram
buckets (``bucket_quantile``). A figure the source does not report is ``None``; a source
that cannot be read adds a line to ``errors`` instead of raising.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from prometheus_client.core import Metric

from supportbot.ops.metrics import (
    InProcessEngineCollector,
    merge_families,
    queue_depths,
    worker_entries,
)

logger = logging.getLogger(__name__)

# Sample name (``inference_worker/metrics.py``) -> the row's field.
GAUGES_AND_COUNTERS = {
    "supportbot_engine_running": "running",
    "supportbot_engine_waiting": "waiting",
    "supportbot_engine_tokens_per_second": "tokens_per_second",
    "supportbot_engine_generated_tokens_total": "generated_tokens",
    "supportbot_worker_redelivered_requests_total": "redelivered",
    "supportbot_worker_publish_failures_total": "publish_failures",
}
HISTOGRAMS = {
    "supportbot_engine_ttft_seconds": "ttft_s",
    "supportbot_engine_inter_token_seconds": "inter_token_s",
}
REQUESTS = "supportbot_engine_requests_total"
GPU_MEMORY = "supportbot_gpu_memory_bytes"
# What the process holds on the card (allocated and peak stay on /metrics).
GPU_MEMORY_KIND = "reserved"


def bucket_quantile(q: float, buckets: Iterable[tuple[float, float]]) -> float | None:
    """The ``q``-quantile of a histogram, approximated from its buckets.

    ``buckets``: (upper bound, cumulative count) pairs, the ``+Inf`` bucket included. As
    Prometheus' ``histogram_quantile``: the bucket holding the rank is found and the value
    interpolated linearly inside it (the first bucket starts at 0); a rank in the ``+Inf``
    bucket answers the highest finite bound. So the answer is only as fine as the buckets:
    the true quantile lies in the same bucket, not necessarily at the value returned.
    None without observations or without a ``+Inf`` bucket.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"a quantile lies in [0, 1], not {q}")
    ordered = sorted(buckets)
    if len(ordered) < 2 or not math.isinf(ordered[-1][0]):
        return None
    observations = ordered[-1][1]
    if observations <= 0:
        return None
    rank = q * observations
    index = next(
        (i for i, (_, count) in enumerate(ordered[:-1]) if count >= rank), len(ordered) - 1
    )
    if index == len(ordered) - 1:
        return ordered[-2][0]
    start, below = (0.0, 0.0) if index == 0 else ordered[index - 1]
    end, cumulative = ordered[index]
    if index == 0 and end <= 0:
        return end
    in_bucket = cumulative - below
    if in_bucket <= 0:  # only for q == 0 over an empty first bucket
        return start
    return start + (end - start) * ((rank - below) / in_bucket)


@dataclass
class _Reading:
    """What one engine (worker, variant) reported, gathered from its samples."""

    worker: str
    variant: str | None
    as_of: str
    figures: dict[str, float] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    buckets: dict[str, dict[float, float]] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)
    gpu_memory: float | None = None

    def add(self, name: str, labels: dict[str, str], value: float) -> None:
        if name in GAUGES_AND_COUNTERS:
            self.figures[GAUGES_AND_COUNTERS[name]] = value
        elif name == REQUESTS:
            self.requests[labels.get("finish_reason", "")] = _whole(value)
        elif name == GPU_MEMORY:
            if labels.get("kind") == GPU_MEMORY_KIND:
                self.gpu_memory = value
        elif name.endswith("_bucket") and name.removesuffix("_bucket") in HISTOGRAMS:
            field_name = HISTOGRAMS[name.removesuffix("_bucket")]
            self.buckets.setdefault(field_name, {})[float(labels["le"])] = value
        elif name.endswith("_count") and name.removesuffix("_count") in HISTOGRAMS:
            self.counts[HISTOGRAMS[name.removesuffix("_count")]] = value

    def latency(self, field_name: str) -> dict:
        buckets = list(self.buckets.get(field_name, {}).items())
        count = self.counts.get(field_name)
        return {
            "p50": bucket_quantile(0.5, buckets),
            "p95": bucket_quantile(0.95, buckets),
            "count": None if count is None else _whole(count),
        }

    def as_json(self, queue_depth: int | None) -> dict:
        figure = self.figures.get
        rate = figure("tokens_per_second")
        return {
            "worker": self.worker,
            "variant": self.variant,
            "as_of": self.as_of,
            "queue_depth": queue_depth,
            "running": _whole(figure("running")),
            "waiting": _whole(figure("waiting")),
            "tokens_per_second": rate,
            "generated_tokens": _whole(figure("generated_tokens")),
            "requests": dict(sorted(self.requests.items())),
            "ttft_s": self.latency("ttft_s"),
            "inter_token_s": self.latency("inter_token_s"),
            "gpu_memory_bytes": _whole(self.gpu_memory),
            "redelivered": _whole(figure("redelivered")),
            "publish_failures": _whole(figure("publish_failures")),
        }


def _whole(value: float | None) -> int | float | None:
    """Counts travel as floats in Prometheus; a whole one is shown as an int."""
    if value is None or not float(value).is_integer():
        return value
    return int(value)


def _gather(
    readings: dict[tuple[str, str | None], _Reading],
    families: Iterable[Metric],
    *,
    default_worker: str,
    as_of: str,
) -> None:
    for family in families:
        for sample in family.samples:
            worker = sample.labels.get("worker") or default_worker
            variant = sample.labels.get("variant")
            reading = readings.get((worker, variant))
            if reading is None:
                reading = readings[(worker, variant)] = _Reading(worker, variant, as_of)
            reading.add(sample.name, sample.labels, sample.value)


def _fail(errors: list[str], message: str, error: Exception) -> None:
    logger.warning("engine panel: %s", message, exc_info=error)
    errors.append(f"{message}: {type(error).__name__}: {error}")


def snapshot() -> dict:
    """The engine panel as of now. Never raises: an unreadable source adds to ``errors``."""
    now = timezone.now()
    engine = settings.SUPPORTBOT["ENGINE"]
    errors: list[str] = []
    readings: dict[tuple[str, str | None], _Reading] = {}

    try:
        entries = worker_entries()
    except Exception as error:
        entries = []
        _fail(errors, "cannot read the workers' metrics from Redis", error)
    for entry in entries:
        as_of = now if entry.at is None else datetime.fromtimestamp(entry.at, tz=UTC)
        try:
            families = merge_families([entry.text])
        except Exception as error:
            _fail(errors, f"cannot parse the metrics of worker {entry.worker}", error)
            continue
        _gather(readings, families, default_worker=entry.worker, as_of=as_of.isoformat())

    try:
        local = list(InProcessEngineCollector().collect())
    except Exception as error:
        local = []
        _fail(errors, "cannot read this process's engine", error)
    _gather(readings, local, default_worker="web", as_of=now.isoformat())

    queues: dict[str, int | None] = {}
    if engine == "celery":
        try:
            queues = queue_depths()
        except Exception as error:
            _fail(errors, "cannot list the variants' queues", error)
        for variant, depth in queues.items():
            if depth is None:
                errors.append(f"the broker did not report the queue of variant {variant}")

    workers = [
        reading.as_json(queues.get(variant) if variant is not None else None)
        for (_, variant), reading in sorted(
            readings.items(), key=lambda item: (item[0][1] or "", item[0][0])
        )
    ]
    return {
        "generated_at": now.isoformat(),
        "engine": engine,
        "workers": workers,
        "queues": queues,
        "errors": errors,
    }
