"""/metrics: Prometheus text for operators, closed to strangers."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from channels.db import database_sync_to_async
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from inference_worker.engine import EngineStats
from inference_worker.metrics import EngineMetrics
from supportbot.ops.metrics import worker_entries
from supportbot.serving.metrics import WORKER_KEY_PREFIX, publish_worker_metrics
from tests.chat.helpers import receive_reply, send_message

TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def use_test_redis(settings):
    """Point ``REDIS_URL`` at the test Redis and return a client (skip without one, but
    not in CI). Tests name their workers uniquely and delete their own entries."""
    import redis

    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI at {TEST_REDIS_URL} (.ci/run starts one)")
        pytest.skip(f"no Redis at {TEST_REDIS_URL}")
    settings.REDIS_URL = TEST_REDIS_URL
    return client


def samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels) -> float:
    """The sum of ``name``'s samples whose labels include ``labels``."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples(text).items() if n == name and wanted <= ls)


def scrape(client, **headers) -> str:
    """/metrics as the tests' Prometheus sees it (bearer token from tests/settings.py)."""
    headers.setdefault("HTTP_AUTHORIZATION", "Bearer test-metrics-token")
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


@pytest.mark.django_db(transaction=True)
async def test_metrics_report_the_in_process_engine_after_a_chat(
    conversation_factory, connect, client
):
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await send_message(ws, "How long does shipping take?")
    deltas, _done = await receive_reply(ws)
    await ws.disconnect()

    text = await database_sync_to_async(scrape)(client)
    assert value(text, "supportbot_engine_generated_tokens_total", worker="web") >= len(deltas)
    assert value(text, "supportbot_engine_ttft_seconds_count", worker="web") >= 1
    assert value(text, "supportbot_engine_inter_token_seconds_count", worker="web") >= 1
    assert value(text, "supportbot_dispatches_total", outcome="queued") >= 1
    for name in ("supportbot_engine_running", "supportbot_engine_waiting"):
        assert any(n == name for n, _ in samples(text))
    assert any(
        n == "supportbot_gpu_memory_bytes" and ("kind", "peak") in ls for n, ls in samples(text)
    )


def test_metrics_need_the_token_and_without_one_only_local_debug_callers(client, settings):
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    wrong = client.get("/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer nope")
    assert wrong.status_code == 403
    scrape(client, REMOTE_ADDR="203.0.113.9")  # the right token, from anywhere
    assert client.post("/metrics").status_code == 405

    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "METRICS_TOKEN": ""}
    # Behind a TLS proxy on the same host every caller is loopback: closed in production.
    settings.DEBUG = False
    assert client.get("/metrics").status_code == 403
    settings.DEBUG = True
    assert client.get("/metrics").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403


def test_metrics_relay_what_each_worker_published_to_redis(client, settings):
    redis = use_test_redis(settings)
    worker = f"relay-{uuid.uuid4().hex[:8]}@gpu"
    stats = EngineStats(waiting=1, running=2, steps=0, generated_tokens=0)
    metrics = EngineMetrics(variant="relayed", worker=worker, stats=lambda: stats)
    metrics.tokens.inc(7)
    publish_worker_metrics(worker, generate_latest(metrics.registry), redis)
    try:
        entries = {entry.worker: entry for entry in worker_entries()}
        assert time.time() - 5 < entries[worker].at <= time.time()

        text = scrape(client)
        assert value(text, "supportbot_engine_generated_tokens_total", worker=worker) == 7
        assert value(text, "supportbot_engine_running", worker=worker) == 2
        assert value(text, "supportbot_workers") >= 1
    finally:
        redis.delete(WORKER_KEY_PREFIX + worker)
