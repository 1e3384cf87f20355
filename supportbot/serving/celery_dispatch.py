"""Production dispatcher: reply jobs go to the variant's Celery queue, workers answer.

The worker streams deltas straight to the conversation's channel-layer group and stores
the reply itself, so the web process only queues the job. Per reply it keeps a marker in
the cache ("queued or generating") so two tabs resuming at once queue it once; the worker
clears it when the reply is stored.
"""

from __future__ import annotations

import logging

from amqp.exceptions import ChannelError
from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

from inference_worker.jobs import ReplyJob
from supportbot.chat.dispatching import DispatchError
from supportbot.serving import reply_slots
from supportbot.serving.job_registry import job_marker_key
from supportbot.serving.metrics import dispatches
from supportbot.serving.queues import REPLY_TASK, variant_queue

logger = logging.getLogger(__name__)

POOL_TIMEOUT_S = 2.0


def queue_depth(queue: str) -> int:
    """Jobs waiting in the broker for ``queue`` (not yet taken by a worker)."""
    # Pooled (a new connection costs ~6 ms); bounded, so a dead broker cannot hang a thread.
    from celery import current_app

    with current_app.pool.acquire(block=True, timeout=POOL_TIMEOUT_S) as connection:
        try:
            declared = connection.default_channel.queue_declare(queue=queue, passive=True)
        except ChannelError:
            return 0  # the Redis transport reports an empty queue as missing
        return declared.message_count


class CeleryDispatcher:
    def preload(self) -> None:
        """Nothing to load here: the model lives in the workers."""

    def shutdown(self) -> None:
        """Nothing to stop: queued jobs belong to the broker."""

    def customer_joined(self, conversation: str) -> None:
        """Generations are not aborted in workers (a finished reply waits for the customer)."""

    def customer_left(self, conversation: str) -> None:
        """See ``customer_joined``."""

    async def dispatch(self, job: ReplyJob) -> None:
        await sync_to_async(self.enqueue, thread_sensitive=False)(job)

    def enqueue(self, job: ReplyJob) -> None:
        """``dispatch`` for synchronous callers (a worker queueing a follow-up)."""
        # No "already answered?" query: callers dispatch fresh or unanswered messages, and
        # the worker checks every job against the stored reply before generating.
        options = settings.SUPPORTBOT
        marker = job_marker_key(job.request_id)
        queue = variant_queue(job.variant)
        hold_s = options["REDELIVERY_TIMEOUT_S"] + 60
        try:
            if not reply_slots.claim(job.conversation, job.request_id, hold_s):
                dispatches.labels(outcome="deferred").inc()
                return  # answered when the reply in flight ends
            if not cache.add(marker, queue, timeout=hold_s):
                return  # already queued or generating
        except Exception as exc:
            logger.exception("cannot reach the cache to queue %s", job.request_id)
            dispatches.labels(outcome="unavailable").inc()
            raise DispatchError("unavailable", "The assistant is not reachable.") from exc
        try:
            depth = queue_depth(queue)
            if depth >= options["MAX_WAITING"]:
                logger.warning(
                    "queue %s has %d jobs waiting; refusing %s", queue, depth, job.request_id
                )
                raise DispatchError("busy", "The assistant is busy.")
            from celery import current_app

            current_app.send_task(
                REPLY_TASK,
                args=(job.to_dict(),),
                queue=queue,
                retry=True,
                # The job holds the customer's words: keep them out of task metadata and
                # out of Celery's error logs.
                argsrepr=f"<ReplyJob {job.request_id}>",
                kwargsrepr="{}",
            )
            dispatches.labels(outcome="queued").inc()
        except DispatchError as exc:
            dispatches.labels(outcome=exc.code).inc()
            self._forget(marker, job)
            raise
        except Exception as exc:
            logger.exception("cannot queue %s on %s", job.request_id, queue)
            dispatches.labels(outcome="unavailable").inc()
            self._forget(marker, job)
            raise DispatchError("unavailable", "The assistant is not reachable.") from exc

    @staticmethod
    def _forget(marker: str, job: ReplyJob) -> None:
        try:
            cache.delete(marker)
        except Exception:
            logger.warning("could not clear %s; it expires on its own", marker)
        # A refused job holds no slot; a message deferred behind it is the customer's to
        # send again (they were told this one failed).
        reply_slots.release_quietly(job.conversation, job.request_id)


def follow_up(conversation: str) -> None:
    """Queue the answer to ``conversation``'s newest message (a worker's reply just ended
    while it waited its turn)."""
    from supportbot.chat.services import follow_up_job

    job = follow_up_job(conversation)
    if job is None:
        return
    try:
        CeleryDispatcher().enqueue(job)
    except DispatchError as exc:
        logger.warning("could not queue the follow-up of %s (%s)", conversation, exc.code)
