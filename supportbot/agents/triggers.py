"""When to bring in a person before the bot answers: the ticket side's escalation rules.

Listens to ``chat.signals.customer_message_stored`` (see ``receivers``): the customer asked
for a person, is strongly upset, or the bot has had its turns without resolving anything.
"""

from __future__ import annotations

from django.conf import settings

from supportbot.agents.models import AgentPresence
from supportbot.chat.models import Actor, Conversation, ConversationEvent, Message, Reason
from supportbot.detectors.message_signals import Signals


def agents_online() -> bool:
    return AgentPresence.online().exists()


def bot_turns_with_bot(conversation: Conversation) -> int:
    """Bot replies since the conversation last came (back) to the bot."""
    since = (
        conversation.events.filter(
            kind=ConversationEvent.Kind.STATE_CHANGED, to_state=Conversation.State.BOT
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    replies = conversation.messages.filter(role=Actor.BOT).exclude(finish_reason="safety")
    if since is not None:
        replies = replies.filter(created_at__gt=since)
    return replies.count()


def trigger_for(conversation: Conversation, signals: Signals) -> str | None:
    """The reason to bring in a person before the bot answers this message, if any."""
    if conversation.state != Conversation.State.BOT:
        return None
    if signals.wants_human:
        return Reason.CUSTOMER_REQUEST
    if signals.strongly_negative:
        return Reason.NEGATIVE_SENTIMENT
    if bot_turns_with_bot(conversation) >= settings.SUPPORTBOT["ESCALATE_AFTER_BOT_TURNS"]:
        return Reason.NO_PROGRESS
    return None


def escalate_if_needed(conversation: Conversation, message: Message, signals: Signals) -> None:
    """Bring in a person if a trigger fires (on the locked row, in the message's transaction)."""
    reason = trigger_for(conversation, signals)
    if reason is None:
        return
    actor = Actor.CUSTOMER if reason == Reason.CUSTOMER_REQUEST else Actor.SYSTEM
    conversation.escalate(reason=reason, actor=actor, data={"seq": message.seq})
