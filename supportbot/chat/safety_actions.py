"""What happens to a conversation when the safety filter steps in."""

from __future__ import annotations

from dataclasses import replace

from django.db import transaction

from supportbot.chat.escalation import Reason, handoff_frame, mark_escalated
from supportbot.chat.models import Conversation, Message
from supportbot.chat.services import ReplyOutcome, store_bot_reply
from supportbot.safety.messages import message
from supportbot.safety.models import SafetyEvent
from supportbot.safety.verdict import Category, Verdict


def store_blocked_reply(
    reply_to_id: int, outcome: ReplyOutcome, verdict: Verdict
) -> Message | None:
    """The output guard stopped the model: store a safe reply in the customer's language in
    its place, log the decision and escalate, in one transaction."""
    customer_message = Message.objects.select_related("conversation").get(pk=reply_to_id)
    language = customer_message.conversation.language
    # Distress met the filter only on the way out: still care, never a cold refusal.
    kind = "care" if Category.SELF_HARM in verdict.categories else "handover"
    safe = replace(outcome, text=message(kind, language), finish_reason="blocked")
    with transaction.atomic():
        reply, created = store_bot_reply(reply_to_id, safe)
        if not created:
            return reply
        SafetyEvent.record(
            verdict,
            conversation_id=customer_message.conversation_id,
            direction=SafetyEvent.Direction.OUTPUT,
            message_id=reply.pk if reply else None,
            language=language,
        )
        conversation = Conversation.objects.select_for_update().get(
            pk=customer_message.conversation_id
        )
        mark_escalated(
            conversation,
            reason=Reason.OUTPUT_BLOCKED,
            data={"message": reply_to_id, "categories": [str(c) for c in verdict.categories]},
        )
    return reply


def handoff_frame_for(public_id: str) -> dict | None:
    """``handoff`` for a conversation that now waits for a person, else None."""
    conversation = Conversation.objects.filter(public_id=public_id).first()
    if conversation is None or conversation.state != Conversation.State.WAITING_AGENT:
        return None
    return handoff_frame(conversation, conversation.escalation_reason or Reason.SAFETY)
