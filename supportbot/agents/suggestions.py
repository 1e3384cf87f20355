"""The bot's draft answer to the customer's last message, for an agent to edit and send.

The draft comes from the same engine and prompt as the bot's own replies, but it is never
stored or shown to the customer: it goes to the one agent who asked. In the embedded default
the in-process engine writes it; behind Celery workers drafts are not offered yet (they would
need a result channel back from the worker).
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid

from channels.db import database_sync_to_async
from django.conf import settings

from inference_worker.prompting import render_prompt
from supportbot.agents.services import AgentActionError, conversation_for
from supportbot.chat.models import Actor, Message
from supportbot.chat.prompts import build_reply_job

SUGGESTION_TIMEOUT_S = 60.0


def _last_customer_job(public_id: str):
    conversation = conversation_for(public_id)
    message = (
        Message.objects.filter(conversation=conversation, role=Actor.CUSTOMER)
        .select_related("conversation__variant")
        .order_by("-seq")
        .first()
    )
    if message is None:
        raise AgentActionError("not_found", "The customer has not written anything yet.")
    return build_reply_job(message)


def _generate(engine, job) -> str:
    prompt = render_prompt(engine.tokenizer, job.prompt, instruct=engine.is_instruct)
    request = dataclasses.replace(
        job.generation_request(prompt), request_id=f"suggest-{uuid.uuid4().hex}"
    )
    final = ""
    for event in engine.stream(request, timeout=SUGGESTION_TIMEOUT_S):
        if event.done:
            final = event.text
    return final.strip()


async def suggest_reply(public_id: str) -> str:
    if settings.SUPPORTBOT["ENGINE"] != "inprocess":
        raise AgentActionError("unavailable", "Drafts are only offered with the in-process engine.")
    from supportbot.chat.dispatch import get_dispatcher

    job = await database_sync_to_async(_last_customer_job)(public_id)
    loop = asyncio.get_running_loop()
    engine = await loop.run_in_executor(None, get_dispatcher().engine)
    text = await loop.run_in_executor(None, _generate, engine, job)
    if not text:
        raise AgentActionError("unavailable", "The bot had no draft for this message.")
    return text
