"""The bot's draft answer to the customer's last message, for an agent to edit and send.

The draft comes from the same engine and prompt as the bot's own replies, but it is never
stored or shown to the customer: it goes to the one agent who asked.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from supportbot.agents.services import AgentActionError, visible_to
from supportbot.chat.models import Actor, Message
from supportbot.chat.prompts import build_reply_job
from supportbot.serving.engine_client import EngineClient


def _last_customer_job(public_id: str, user) -> dict:
    conversation = visible_to(public_id, user)
    message = (
        Message.objects.filter(conversation=conversation, role=Actor.CUSTOMER)
        .select_related("conversation__variant")
        .order_by("-seq")
        .first()
    )
    if message is None:
        raise AgentActionError("not_found", "The customer has not written anything yet.")
    return build_reply_job(message).to_dict()


async def suggest_reply(client: EngineClient, public_id: str, user) -> str:
    job = await database_sync_to_async(_last_customer_job)(public_id, user)
    text = await client.generate({"kind": "draft", "job": job}, variant=job["variant"])
    if not text:
        raise AgentActionError("unavailable", "The bot had no draft for this message.")
    return text
