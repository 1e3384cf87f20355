"""Celery tasks of the chat: generating one reply on a GPU worker."""

from __future__ import annotations

from celery import shared_task

from inference_worker.jobs import ReplyJob
from supportbot.celery import REPLY_TASK

# An engine that is momentarily full frees a slot within a few decode steps.
BUSY_RETRY_S = 0.5


@shared_task(bind=True, name=REPLY_TASK, max_retries=None)
def generate_reply(self, payload: dict) -> str:
    """Generate, stream and store the reply described by ``payload`` (a ``ReplyJob``).

    Safe to run twice: a stored reply is announced again instead of generated again.
    """
    # Imported here: the web imports this module to queue jobs and must not load torch.
    from inference_worker.serving import EngineBusy
    from supportbot.chat import worker_adapter

    job = ReplyJob.from_dict(payload)
    redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
    try:
        return worker_adapter.runtime().serve(job, redelivered=redelivered).value
    except EngineBusy as exc:
        raise self.retry(exc=exc, countdown=BUSY_RETRY_S) from exc
