"""The dashboard's engine panel: what the engines already report, per worker and variant."""

from __future__ import annotations

import math
import time
import uuid

import pytest
from celery import current_app
from django.test import Client
from prometheus_client import generate_latest

from inference_worker.engine import EngineStats
from inference_worker.metrics import EngineMetrics
from inference_worker.sequence import FinishReason, StreamEvent
from supportbot.analytics.engine_panel import bucket_quantile, snapshot
from supportbot.experiments.models import ModelVariant
from supportbot.serving import metrics as serving_metrics
from supportbot.serving.metrics import WORKER_KEY_PREFIX, publish_worker_metrics
from supportbot.serving.queues import REPLY_TASK, variant_queue
from tests.agents.conftest import make_user
from tests.ops.test_metrics import use_test_redis
from tests.workers.conftest import free_port

INF = math.inf


# -- percentiles from buckets (pure) -------------------------------------------------------


def test_a_percentile_is_interpolated_inside_the_bucket_that_holds_its_rank():
    # 2 observations up to 0.1, 4 more in (0.1, 0.2]: the median's rank 3 is the first of
    # those 4, a quarter of the way into the bucket.
    assert bucket_quantile(0.5, [(0.1, 2), (0.2, 6), (INF, 6)]) == pytest.approx(0.125)


def test_the_first_bucket_starts_at_zero():
    assert bucket_quantile(0.5, [(1.0, 4), (INF, 4)]) == pytest.approx(0.5)


def test_an_empty_bucket_below_the_rank_is_skipped():
    buckets = [(0.1, 2), (0.2, 2), (0.4, 4), (INF, 4)]
    assert bucket_quantile(0.5, buckets) == pytest.approx(0.1)
    assert bucket_quantile(0.75, buckets) == pytest.approx(0.3)


def test_a_rank_beyond_the_last_finite_bound_answers_that_bound():
    assert bucket_quantile(0.95, [(1.0, 1), (2.5, 1), (INF, 3)]) == 2.5


def test_buckets_may_come_in_any_order():
    assert bucket_quantile(0.5, [(INF, 6), (0.2, 6), (0.1, 2)]) == pytest.approx(0.125)


def test_no_percentile_without_observations_or_without_the_inf_bucket():
    assert bucket_quantile(0.5, [(0.1, 0), (INF, 0)]) is None
    assert bucket_quantile(0.5, [(0.1, 3), (0.2, 5)]) is None
    assert bucket_quantile(0.5, []) is None


def test_a_quantile_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError):
        bucket_quantile(1.5, [(0.1, 1), (INF, 1)])


# -- engines that observed real replies ---------------------------------------------------


def engine_metrics(variant: str, worker: str, *, running: int = 0, waiting: int = 0):
    stats = EngineStats(waiting=waiting, running=running, steps=0, generated_tokens=0)
    return EngineMetrics(variant=variant, worker=worker, stats=lambda: stats)


def reply(metrics, *, ttft: float, deltas: list[tuple[float, int]], total: int, reason, at):
    """Feed ``metrics`` one reply's stream: deltas (seconds after the first token, tokens
    so far), then the done event, as the runtime's metered callback does."""
    request_id = uuid.uuid4().hex
    first = at + ttft
    for offset, tokens in deltas:
        event = StreamEvent(request_id, "x", num_tokens=tokens)
        metrics.record(event, now=first + offset)
    done = StreamEvent(
        request_id, "x", done=True, finish_reason=reason, num_tokens=total,
        submitted_at=at, first_token_at=first,
    )  # fmt: skip
    metrics.record(done, now=first + deltas[-1][0])


def two_replies(metrics) -> None:
    """11 tokens; TTFT 0.03 s and 0.3 s; inter-token gaps 0.03 s and 0.1 s."""
    now = time.time()
    reply(metrics, ttft=0.03, deltas=[(0, 2), (0.03, 4)], total=5, reason=FinishReason.STOP,
          at=now)  # fmt: skip
    reply(metrics, ttft=0.3, deltas=[(0, 3), (0.1, 6)], total=6, reason=FinishReason.LENGTH,
          at=now)  # fmt: skip


def row(panel: dict, worker: str) -> dict:
    (found,) = [w for w in panel["workers"] if w["worker"] == worker]
    return found


def assert_two_replies(found: dict) -> None:
    assert found["generated_tokens"] == 11
    # The engine's own rate: tokens of the last 10 s over 10 s (all 11 are that recent).
    assert found["tokens_per_second"] == pytest.approx(1.1)
    assert found["requests"] == {"length": 1, "stop": 1}
    # From buckets: 0.03 s lies in (0.025, 0.05], 0.3 s in (0.25, 0.5]; the percentiles
    # are interpolated inside those buckets, so they bound the truth, not equal it.
    ttft = found["ttft_s"]
    assert ttft["count"] == 2
    assert 0.025 <= ttft["p50"] <= 0.05 and ttft["p50"] == pytest.approx(0.05)
    assert 0.25 <= ttft["p95"] <= 0.5 and ttft["p95"] == pytest.approx(0.25 + 0.25 * 0.9)
    # 0.03 s in (0.02, 0.04], 0.1 s in (0.08, 0.16].
    gaps = found["inter_token_s"]
    assert gaps["count"] == 2
    assert 0.02 <= gaps["p50"] <= 0.04 and gaps["p50"] == pytest.approx(0.04)
    assert 0.08 <= gaps["p95"] <= 0.16 and gaps["p95"] == pytest.approx(0.08 + 0.08 * 0.9)
    assert found["gpu_memory_bytes"] >= 0


@pytest.fixture
def variants(db):
    """Two fresh variants of the database, their broker queues emptied afterwards."""
    names = [f"panel-{uuid.uuid4().hex[:8]}" for _ in range(2)]
    for name in names:
        ModelVariant.objects.create(name=name, model="tiny-moe")
    yield names
    with current_app.connection_for_write() as connection:
        for name in names:
            connection.default_channel.queue_purge(variant_queue(name))


@pytest.fixture
def celery_mode(settings):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "ENGINE": "celery"}


def queue_jobs(variant: str, count: int) -> None:
    for _ in range(count):
        current_app.send_task(REPLY_TASK, args=({"variant": variant},),
                              queue=variant_queue(variant))  # fmt: skip


def test_the_panel_reports_each_celery_worker_from_what_it_published(
    settings, celery_mode, variants
):
    redis = use_test_redis(settings)
    busy_variant, idle_variant = variants
    busy, idle = f"gpu-1@{busy_variant}", f"gpu-2@{idle_variant}"
    busy_metrics = engine_metrics(busy_variant, busy, running=3, waiting=1)
    two_replies(busy_metrics)
    busy_metrics.redelivered.inc()
    busy_metrics.publish_failures.inc(2)
    idle_metrics = engine_metrics(idle_variant, idle)
    queue_jobs(busy_variant, 2)
    try:
        for worker, metrics in ((busy, busy_metrics), (idle, idle_metrics)):
            publish_worker_metrics(worker, generate_latest(metrics.registry), redis)

        panel = snapshot()

        assert panel["engine"] == "celery" and panel["errors"] == []
        assert panel["queues"][busy_variant] == 2 and panel["queues"][idle_variant] == 0
        found = row(panel, busy)
        assert found["variant"] == busy_variant
        assert (found["queue_depth"], found["running"], found["waiting"]) == (2, 3, 1)
        assert (found["redelivered"], found["publish_failures"]) == (1, 2)
        assert_two_replies(found)

        quiet = row(panel, idle)
        assert quiet["queue_depth"] == 0 and quiet["generated_tokens"] == 0
        assert quiet["tokens_per_second"] == 0 and quiet["requests"] == {}
        assert quiet["ttft_s"] == {"p50": None, "p95": None, "count": 0}
    finally:
        redis.delete(WORKER_KEY_PREFIX + busy, WORKER_KEY_PREFIX + idle)


@pytest.fixture
def local_engine():
    """Track engine metrics as the embedded default's; the process's own are put back."""
    before = serving_metrics.local_engine_metrics()
    yield serving_metrics.track_local_engine
    serving_metrics.forget_local_engines()
    for metrics in before:
        serving_metrics.track_local_engine(metrics)


def test_the_panel_reports_the_embedded_engine_of_this_process(settings, local_engine):
    settings.REDIS_URL = None
    variant = f"panel-{uuid.uuid4().hex[:8]}"
    metrics = engine_metrics(variant, "web", running=2)
    two_replies(metrics)
    local_engine(metrics)

    panel = snapshot()

    assert panel["engine"] == "inprocess" and panel["errors"] == [] and panel["queues"] == {}
    (found,) = [w for w in panel["workers"] if w["variant"] == variant]
    assert found["worker"] == "web" and found["running"] == 2 and found["waiting"] == 0
    assert found["queue_depth"] is None
    assert (found["redelivered"], found["publish_failures"]) == (0, 0)
    assert_two_replies(found)


def test_with_redis_down_the_panel_reports_what_it_can_and_the_error(settings, local_engine):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    variant = f"panel-{uuid.uuid4().hex[:8]}"
    local_engine(engine_metrics(variant, "web", running=1))

    panel = snapshot()

    assert [w["running"] for w in panel["workers"] if w["variant"] == variant] == [1]
    assert len(panel["errors"]) == 1 and "Redis" in panel["errors"][0]


def test_with_redis_down_a_celery_deployment_still_shows_its_queues(
    settings, celery_mode, variants
):
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"
    queue_jobs(variants[0], 1)

    panel = snapshot()

    assert panel["workers"] == []
    assert panel["queues"][variants[0]] == 1 and panel["queues"][variants[1]] == 0
    assert len(panel["errors"]) == 1 and "Redis" in panel["errors"][0]


# -- the endpoint -------------------------------------------------------------------------


def test_an_admin_reads_the_engine_panel_as_json(db):
    client = Client()
    client.force_login(make_user("ada", role="admin"))

    response = client.get("/dashboard/api/engine")

    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert body["engine"] == "inprocess" and isinstance(body["workers"], list)
    assert set(body) == {"generated_at", "engine", "workers", "queues", "errors"}


def test_an_agent_cannot_read_the_engine_panel(db):
    client = Client()
    client.force_login(make_user("bea", role="agent"))

    assert client.get("/dashboard/api/engine").status_code == 403
