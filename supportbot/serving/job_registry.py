"""Which reply jobs are running on which worker process, so a dead worker's jobs restart fast.

The broker gives an unacknowledged job back only after its visibility timeout (minutes), and
a threads-pool worker that is SIGKILLed has no parent to notice. So each worker process
heartbeats a short-lived key, records every job it starts, and sweeps the records of
processes whose heartbeat has expired: the first sweeper to claim such a job queues it again
as a restart. The broker's redelivery stays as the backstop.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable

from django.conf import settings

logger = logging.getLogger(__name__)

RUNNING_KEY = "supportbot:running-jobs"
ALIVE_PREFIX = "supportbot:worker-alive:"
HEARTBEAT_TTL_S = 10
HEARTBEAT_EVERY_S = 2.0

# Delete the record only if it is still the one we read: a restarted job may have replaced it.
_CLAIM = """
if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then
  return redis.call('HDEL', KEYS[1], ARGV[1])
end
return 0
"""

# One id per worker process: a worker restarted under the same hostname is a new process
# whose predecessor's jobs are orphans.
PROCESS_ID = uuid.uuid4().hex


def redis_client():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5)


def heartbeat(client) -> None:
    client.set(ALIVE_PREFIX + PROCESS_ID, "1", ex=HEARTBEAT_TTL_S)


def job_started(client, request_id: str, payload: dict) -> None:
    record = json.dumps({"process": PROCESS_ID, "payload": payload})
    client.hset(RUNNING_KEY, request_id, record)


def job_ended(client, request_id: str) -> None:
    client.hdel(RUNNING_KEY, request_id)


def requeue_orphans(client, requeue: Callable[[dict], None]) -> list[str]:
    """Queue again every recorded job whose process stopped heartbeating; return their ids."""
    restarted = []
    for field, raw in client.hgetall(RUNNING_KEY).items():
        record = json.loads(raw)
        if client.exists(ALIVE_PREFIX + record["process"]):
            continue
        if not client.eval(_CLAIM, 1, RUNNING_KEY, field, raw):
            continue  # another worker claimed it, or it restarted meanwhile
        request_id = field.decode() if isinstance(field, bytes) else field
        logger.warning("worker process %s is gone; restarting %s", record["process"], request_id)
        requeue(record["payload"])
        restarted.append(request_id)
    return restarted


def job_marker_key(request_id: str) -> str:
    """Cache key saying "a job for this reply is queued or running" (set by the web,
    cleared by the worker that stores the reply)."""
    return f"supportbot:job:{request_id}"


class RedisJobRecords:
    """A Celery worker's records of its jobs: the registry entry that lets another worker
    restart them if this process dies, and the web's "queued" marker in the cache."""

    def __init__(self, client) -> None:
        self.client = client

    def started(self, job) -> None:
        job_started(self.client, job.request_id, job.to_dict())

    def ended(self, job, *, answered: bool, will_retry: bool = False) -> None:
        """An answered job's marker stays a minute, so a resume that read "unanswered"
        just before the store does not queue it again; a retried job keeps its marker."""
        from django.core.cache import cache

        try:
            job_ended(self.client, job.request_id)
            if will_retry:
                return
            marker = job_marker_key(job.request_id)
            if answered:
                cache.set(marker, "answered", timeout=60)
            else:
                cache.delete(marker)
        except Exception:
            # Records expire on their own; they only delay a redispatch on resume.
            logger.warning("could not clear the records of %s", job.request_id)
