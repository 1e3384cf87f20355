"""Celery tasks of the chat: generating one reply on a GPU worker."""

from __future__ import annotations

from celery import shared_task

from inference_worker.jobs import ReplyJob
from supportbot.celery import REPLY_TASK

# An engine that is momentarily full frees a slot within a few decode steps.
BUSY_RETRY_S = 0.5


@shared_task(bind=True, name=REPLY_TASK, max_retries=None)
def generate_reply(self, payload: dict, restart: bool = False) -> str:
    """Generate, stream and store the reply described by ``payload`` (a ``ReplyJob``).

    Safe to run twice: the reply is stored once, and a restarted or redelivered job whose
    reply is stored announces it instead of generating it again.
    """
    # Imported here: the web imports this module to queue jobs and must not load torch.
    from inference_worker.serving import EngineBusy
    from supportbot.chat import worker_process

    job = ReplyJob.from_dict(payload)
    # restart: queued again by a worker that saw this job's worker die (job_registry);
    # redelivered: given back by the broker after its visibility timeout.
    redelivered = restart or bool((self.request.delivery_info or {}).get("redelivered"))
    try:
        return worker_process.runtime().serve(job, redelivered=redelivered).value
    except EngineBusy as exc:
        raise self.retry(exc=exc, countdown=BUSY_RETRY_S) from exc
