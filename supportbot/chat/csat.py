"""The customer's rating after a resolved conversation (DESIGN.md, "CSAT")."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from supportbot.chat.handoff_texts import text as handoff_text
from supportbot.chat.models import Actor, Conversation, ConversationEvent, CsatResponse
from supportbot.safety.redaction import hide_personal_data


class CsatNotOpen(Exception):
    """The conversation is not resolved yet."""


class CsatAlreadyGiven(Exception):
    """The conversation already has its rating."""


def was_human_handled(conversation: Conversation) -> bool:
    """Did a person take the conversation at any point (claimed, so an agent could answer)?"""
    return conversation.events.filter(
        kind=ConversationEvent.Kind.STATE_CHANGED, to_state=Conversation.State.AGENT
    ).exists()


def record_csat(conversation_id: int, *, rating: int, comment: str = "") -> CsatResponse:
    """Store the rating once; a second one raises ``CsatAlreadyGiven``. The comment is kept
    as written and, beside it, with personal data hidden (what analytics read)."""
    redacted_comment = hide_personal_data(comment).stored if comment else ""
    try:
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
            if conversation.state != Conversation.State.RESOLVED:
                raise CsatNotOpen(str(conversation.public_id))
            if CsatResponse.objects.filter(conversation=conversation).exists():
                raise CsatAlreadyGiven(str(conversation.public_id))
            handled_by = (
                CsatResponse.HandledBy.HUMAN
                if was_human_handled(conversation)
                else CsatResponse.HandledBy.BOT
            )
            response = CsatResponse.objects.create(
                conversation=conversation,
                rating=rating,
                comment=comment,
                redacted_comment=redacted_comment,
                handled_by=handled_by,
                language=conversation.language,
            )
            conversation.log(
                ConversationEvent.Kind.CSAT_RECORDED,
                actor=Actor.CUSTOMER,
                data={"rating": rating, "handled_by": handled_by},
            )
    except IntegrityError:
        # Two sockets of one customer raced; the unique row settled it.
        raise CsatAlreadyGiven(str(conversation_id)) from None
    return response


def csat_pending(conversation: Conversation) -> bool:
    return (
        conversation.state == Conversation.State.RESOLVED
        and not CsatResponse.objects.filter(conversation=conversation).exists()
    )


def csat_request_frame(conversation: Conversation) -> dict:
    language = conversation.language
    return {
        "type": "csat.request",
        "question": handoff_text("csat_question", language),
        "comment_label": handoff_text("csat_comment", language),
        "submit_label": handoff_text("csat_submit", language),
        "thanks": handoff_text("csat_thanks", language),
    }


def note_csat_requested(conversation: Conversation) -> None:
    """Log the first time the question is put (the response rate's denominator)."""
    with transaction.atomic():
        # Locked: an agent's resolve and the customer's resume may ask at the same moment.
        Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
        if not conversation.events.filter(kind=ConversationEvent.Kind.CSAT_REQUESTED).exists():
            conversation.log(ConversationEvent.Kind.CSAT_REQUESTED, actor=Actor.SYSTEM)
