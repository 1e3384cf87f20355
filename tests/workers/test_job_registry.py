"""Restarting a dead worker's jobs: heartbeats, running-job records and one claim each."""

from __future__ import annotations

import json
import threading

import pytest
import redis

from supportbot.serving import job_registry


@pytest.fixture
def client(redis_server):
    connection = redis.Redis.from_url(redis_server.url(2))
    connection.flushdb()
    yield connection
    connection.flushdb()


def record_for(client, request_id: str, process: str) -> None:
    payload = {"conversation": "c", "reply_to_seq": 1, "variant": "default"}
    client.hset(
        job_registry.RUNNING_KEY, request_id, json.dumps({"process": process, "payload": payload})
    )


def test_jobs_of_a_live_process_are_left_alone(client):
    job_registry.heartbeat(client)
    job_registry.job_started(client, "c:1", {"variant": "default"})
    requeued = []
    assert job_registry.requeue_orphans(client, requeued.append) == []
    assert requeued == [] and client.hexists(job_registry.RUNNING_KEY, "c:1")
    job_registry.job_ended(client, "c:1")
    assert not client.hexists(job_registry.RUNNING_KEY, "c:1")


def test_a_dead_process_job_is_requeued_once_by_racing_sweepers(client):
    job_registry.heartbeat(client)
    record_for(client, "c:1", process="gone")  # no heartbeat key: that process is dead
    record_for(client, "c:2", process=job_registry.PROCESS_ID)
    requeued: list[dict] = []
    barrier = threading.Barrier(4)

    def sweep() -> None:
        barrier.wait()
        job_registry.requeue_orphans(client, requeued.append)

    sweepers = [threading.Thread(target=sweep) for _ in range(4)]
    for sweeper in sweepers:
        sweeper.start()
    for sweeper in sweepers:
        sweeper.join(timeout=10)
    assert [p["reply_to_seq"] for p in requeued] == [1]
    assert not client.hexists(job_registry.RUNNING_KEY, "c:1")
    assert client.hexists(job_registry.RUNNING_KEY, "c:2")


def test_a_claim_does_not_remove_a_record_replaced_meanwhile(client):
    record_for(client, "c:1", process="gone")
    stale = client.hget(job_registry.RUNNING_KEY, "c:1")
    job_registry.job_started(client, "c:1", {"variant": "default"})  # restarted elsewhere
    assert client.eval(job_registry._CLAIM, 1, job_registry.RUNNING_KEY, "c:1", stale) == 0
    assert client.hexists(job_registry.RUNNING_KEY, "c:1")
