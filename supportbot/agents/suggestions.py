"""The bot's draft answer to the customer's last message, for an agent to edit and send.

The draft comes from the same engine and prompt as the bot's own replies (personal data in
the conversation only as placeholders), and passes the same output guard before the agent
sees it. It is never stored or shown to the customer: it goes to the one agent who asked.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from inference_worker.jobs import ReplyJob
from supportbot.agents.services import AgentActionError, visible_to
from supportbot.chat.models import Actor, Message
from supportbot.chat.prompts import build_reply_job
from supportbot.safety.guard import check_agent_text, output_context
from supportbot.safety.models import SafetyEvent
from supportbot.serving.engine_client import EngineBusy, EngineClient


def _last_customer_job(public_id: str, user) -> ReplyJob:
    conversation = visible_to(public_id, user)
    message = (
        Message.objects.filter(conversation=conversation, role=Actor.CUSTOMER)
        .select_related("conversation__variant")
        .order_by("-seq")
        .first()
    )
    if message is None:
        raise AgentActionError("not_found", "The customer has not written anything yet.")
    return build_reply_job(message)


def _checked(text: str, job: ReplyJob) -> None:
    message = Message.objects.select_related("conversation").get(pk=job.reply_to_id)
    verdict = check_agent_text(
        text,
        output_context(job),
        conversation_id=message.conversation_id,
        direction=SafetyEvent.Direction.DRAFT,
        language=message.conversation.language,
    )
    if not verdict.is_allow:
        found = ", ".join(str(c) for c in verdict.categories)
        raise AgentActionError(
            "draft_blocked", f"The bot's draft did not pass the safety check ({found})."
        )


async def suggest_reply(client: EngineClient, public_id: str, user) -> str:
    """The draft, or ``AgentActionError`` (``unavailable``: none; ``busy``: the engine's
    queue is full; ``draft_blocked``: the
    output guard stopped it, and the agent gets the notice, never the text)."""
    job = await database_sync_to_async(_last_customer_job)(public_id, user)
    try:
        text = await client.generate({"kind": "draft", "job": job.to_dict()}, variant=job.variant)
    except EngineBusy:
        raise AgentActionError("busy", "The assistant is busy; try again soon.") from None
    if not text:
        raise AgentActionError("unavailable", "The bot had no draft for this message.")
    await database_sync_to_async(_checked)(text, job)
    return text
