"""Turn a conversation into a reply job: knowledge snippet, examples and recent turns."""

from __future__ import annotations

from django.conf import settings

from inference_worker.jobs import ReplyJob
from inference_worker.prompting import PromptSpec, Turn
from supportbot.chat.models import Actor, Message
from supportbot.knowledge.models import ExampleTurn
from supportbot.knowledge.search import Retrieval, retrieve

SCREENED_OUT = ("block", "escalate")
_ROLE_TO_TURN = {Actor.CUSTOMER: "customer", Actor.BOT: "bot", Actor.AGENT: "agent"}


def _examples_for(language: str) -> tuple[tuple[str, str], ...]:
    rows = list(ExampleTurn.objects.filter(language=language))
    if not rows:
        rows = list(ExampleTurn.objects.filter(language="en"))
    return tuple((row.customer, row.bot) for row in rows)


def build_reply_job(message: Message, *, retrieval: Retrieval | None = None) -> ReplyJob:
    """The job that answers ``message`` (a stored customer message), with the knowledge
    ``retrieval`` found for it (searched here when not given)."""
    conversation = message.conversation
    limit = settings.SUPPORTBOT["HISTORY_TURNS"]
    # The model sees personal data only as placeholders (redacted_text, when set).
    # Refused or escalated messages and the fixed replies to them never reach the model:
    # one follow-up must not smuggle a refused injection into the prompt.
    recent = list(
        conversation.messages.filter(seq__lte=message.seq, role__in=list(_ROLE_TO_TURN))
        .exclude(safety_action__in=SCREENED_OUT)
        .exclude(role=Actor.BOT, finish_reason="safety")
        .order_by("-seq")
        .values_list("role", "text", "redacted_text")[: limit + 1]
    )[::-1]
    language = message.language or conversation.language
    if retrieval is None:
        retrieval = retrieve(message.model_text, language)
    prompt = PromptSpec(
        language=language,
        knowledge=retrieval.knowledge,
        examples=_examples_for(language),
        history=tuple(
            Turn(role=_ROLE_TO_TURN[role], text=redacted or text) for role, text, redacted in recent
        ),
        company=settings.SUPPORTBOT["COMPANY_NAME"],
    )
    return ReplyJob(
        conversation=str(conversation.public_id),
        reply_to_id=message.pk,
        reply_to_seq=message.seq,
        variant=conversation.variant.name if conversation.variant else "default",
        prompt=prompt,
        # No per-job length: the variant owns it (``serving.engines``).
        sources=tuple(retrieval.sources),
    )
