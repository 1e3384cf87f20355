"""Celery tasks of the workers: a customer's reply, and a draft or translation for an agent.

Thin: take the payload, hand it to this process's runtime, report. The web imports this
module to queue jobs and must not load torch, so the engine side is imported inside.
"""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer

from inference_worker.jobs import ReplyJob
from supportbot.serving.queues import AGENT_TEXT_TASK, REPLY_TASK

logger = logging.getLogger(__name__)

# An engine that is momentarily full frees a slot within a few decode steps.
BUSY_RETRY_S = 0.5


@shared_task(bind=True, name=REPLY_TASK, max_retries=None)
def generate_reply(self, payload: dict, restart: bool = False) -> str:
    """Generate, stream and store the reply described by ``payload`` (a ``ReplyJob``).

    Safe to run twice: the reply is stored once, and a restarted or redelivered job whose
    reply is stored announces it instead of generating it again.
    """
    from inference_worker.serving import EngineBusy
    from supportbot.serving import worker_process

    job = ReplyJob.from_dict(payload)
    # restart: queued again by a worker that saw this job's worker die (job_registry);
    # redelivered: given back by the broker after its visibility timeout.
    redelivered = restart or bool((self.request.delivery_info or {}).get("redelivered"))
    try:
        return worker_process.runtime().serve(job, redelivered=redelivered).value
    except EngineBusy as exc:
        raise self.retry(exc=exc, countdown=BUSY_RETRY_S) from exc


# Not acknowledged late: a lost draft costs an agent one click, a redelivered one a GPU slot.
@shared_task(name=AGENT_TEXT_TASK, acks_late=False, ignore_result=True)
def agent_text(request: dict) -> None:
    """Write the text and send it to the console that asked (its channel name)."""
    from supportbot.serving import worker_process
    from supportbot.serving.agent_text import generate_locally

    try:
        runtime = worker_process.runtime()
        text = generate_locally(runtime.engine, request, worker=runtime.worker)
    except Exception:
        logger.exception("agent %s request %s failed", request.get("kind"), request.get("id"))
        text = ""
    async_to_sync(get_channel_layer().send)(
        request["reply_channel"], {"type": "agent.result", "request": request["id"], "text": text}
    )
