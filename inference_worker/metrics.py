"""Engine metrics in Prometheus form: what an operator watches on a GPU worker.

One ``EngineMetrics`` per engine, in its own registry, so a worker can publish exactly its
engine's figures (``supportbot/ops/metrics.py`` gathers them for the web's ``/metrics``).
Counters and histograms are fed from the stream callbacks; gauges are read from the engine
when scraped.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from inference_worker.sequence import StreamEvent

# Chat latencies: tens of milliseconds on a GPU, seconds on a loaded CPU.
TTFT_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
ITL_BUCKETS = (0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56)
TOKENS_PER_SECOND_WINDOW_S = 10.0

EventCallback = Callable[[StreamEvent], None]


class EngineMetrics:
    def __init__(self, *, variant: str, worker: str, stats: Callable[[], object]) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        labels = {"variant": variant, "worker": worker}
        names = list(labels)

        def labelled(metric):
            return metric.labels(**labels)

        self.ttft = labelled(
            Histogram(
                "supportbot_engine_ttft_seconds",
                "Engine submit to first visible token",
                names,
                buckets=TTFT_BUCKETS,
                registry=self.registry,
            )
        )
        self.inter_token = labelled(
            Histogram(
                "supportbot_engine_inter_token_seconds",
                "Time between visible deltas of one reply",
                names,
                buckets=ITL_BUCKETS,
                registry=self.registry,
            )
        )
        self.tokens = labelled(
            Counter(
                "supportbot_engine_generated_tokens",
                "Tokens generated",
                names,
                registry=self.registry,
            )
        )
        self._finished = Counter(
            "supportbot_engine_requests",
            "Requests finished, by finish reason",
            [*names, "finish_reason"],
            registry=self.registry,
        )
        self._labels = labels
        self.redelivered = labelled(
            Counter(
                "supportbot_worker_redelivered_requests",
                "Reply jobs delivered again after a worker was lost",
                names,
                registry=self.registry,
            )
        )
        self.isolated = labelled(
            Counter(
                "supportbot_worker_isolated_generations",
                "Generations run alone because an earlier one of the same reply died",
                names,
                registry=self.registry,
            )
        )
        self.publish_failures = labelled(
            Counter(
                "supportbot_worker_publish_failures",
                "Frames that could not be published to the channel layer",
                names,
                registry=self.registry,
            )
        )
        running = Gauge(
            "supportbot_engine_running", "Sequences in the batch", names, registry=self.registry
        )
        running.labels(**labels).set_function(lambda: stats().running)
        waiting = Gauge(
            "supportbot_engine_waiting",
            "Requests waiting for a batch slot",
            names,
            registry=self.registry,
        )
        waiting.labels(**labels).set_function(lambda: stats().waiting)
        rate = Gauge(
            "supportbot_engine_tokens_per_second",
            f"Generated tokens per second over the last {TOKENS_PER_SECOND_WINDOW_S:.0f} s",
            names,
            registry=self.registry,
        )
        rate.labels(**labels).set_function(self.tokens_per_second)
        gpu = Gauge(
            "supportbot_gpu_memory_bytes",
            "CUDA memory of this process (allocated, reserved, peak allocated)",
            [*names, "kind"],
            registry=self.registry,
        )
        for kind in ("allocated", "reserved", "peak"):
            gpu.labels(**labels, kind=kind).set_function(lambda kind=kind: _cuda_memory(kind))
        self._lock = threading.Lock()
        self._last_delta: dict[str, tuple[float | None, int]] = {}
        self._recent: deque[tuple[float, int]] = deque()

    def observe(self, callback: EventCallback) -> EventCallback:
        """Wrap a stream callback so every event it receives is measured first."""

        def metered(event: StreamEvent) -> None:
            self.record(event)
            callback(event)

        return metered

    def record(self, event: StreamEvent, now: float | None = None) -> None:
        now = time.time() if now is None else now
        rid = event.request_id
        with self._lock:
            previous_at, previous_count = self._last_delta.get(rid, (None, 0))
            new_tokens = max(0, event.num_tokens - previous_count)
            if new_tokens:
                self.tokens.inc(new_tokens)
                self._recent.append((now, new_tokens))
            if event.done:
                self._last_delta.pop(rid, None)
                reason = str(event.finish_reason or "error")
                self._finished.labels(**self._labels, finish_reason=reason).inc()
                if event.first_token_at and event.submitted_at:
                    self.ttft.observe(max(0.0, event.first_token_at - event.submitted_at))
                return
            self._last_delta[rid] = (now, event.num_tokens)
        if previous_at is not None:
            self.inter_token.observe(now - previous_at)

    def tokens_per_second(self) -> float:
        now = time.time()
        with self._lock:
            while self._recent and now - self._recent[0][0] > TOKENS_PER_SECOND_WINDOW_S:
                self._recent.popleft()
            total = sum(count for _, count in self._recent)
        return total / TOKENS_PER_SECOND_WINDOW_S


def _cuda_memory(kind: str) -> float:
    import torch

    if not torch.cuda.is_available() or not torch.cuda.is_initialized():
        return 0.0
    if kind == "allocated":
        return float(torch.cuda.memory_allocated())
    if kind == "reserved":
        return float(torch.cuda.memory_reserved())
    return float(torch.cuda.max_memory_allocated())
