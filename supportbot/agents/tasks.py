"""Celery task of the agent console: a draft or a translation written by a GPU worker."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from celery import shared_task
from channels.layers import get_channel_layer

from supportbot.celery import AGENT_TEXT_TASK

logger = logging.getLogger(__name__)


# Not acknowledged late: a lost draft costs an agent one click, a redelivered one a GPU slot.
@shared_task(name=AGENT_TEXT_TASK, acks_late=False, ignore_result=True)
def agent_text(request: dict) -> None:
    """Write the text and send it to the console that asked (its channel name)."""
    from supportbot.agents.engine_text import generate_locally
    from supportbot.chat import worker_process

    try:
        text = generate_locally(worker_process.runtime().engine, request)
    except Exception:
        logger.exception("agent %s request %s failed", request.get("kind"), request.get("id"))
        text = ""
    async_to_sync(get_channel_layer().send)(
        request["reply_channel"], {"type": "agent.result", "request": request["id"], "text": text}
    )
