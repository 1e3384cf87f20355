"""When to bring in a person before the bot answers: the ticket side's escalation rules.

Listens to ``chat.signals.customer_message_stored`` (see ``receivers``): the customer asked
for a person, is strongly upset, or the bot has had its turns without resolving anything.
And how far one source may jump the queue: alarming words make a ticket urgent, so one
client address or visitor gets at most ``ELEVATED_PER_SOURCE`` urgent or high tickets per
``ELEVATED_WINDOW``; beyond that they wait at normal priority, marked (``cap_priority``).
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from supportbot.agents.models import AgentPresence
from supportbot.agents.snapshots import PRIORITY_CAPPED
from supportbot.chat.models import (
    Actor,
    Conversation,
    ConversationEvent,
    Message,
    Priority,
    Reason,
)
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


ELEVATED_PER_SOURCE = 5
ELEVATED_WINDOW = timedelta(hours=1)


def cap_priority(conversation: Conversation, event: ConversationEvent) -> bool:
    """Lower a conversation just made urgent or high (``event``: its escalation or priority
    raise, in that transaction, on the locked row) to normal when its address or visitor
    already had ``ELEVATED_PER_SOURCE`` such conversations within ``ELEVATED_WINDOW``. The
    event keeps the priority asked for under ``priority_capped`` (the console marks it).
    Returns whether it was capped.

    Concurrent escalations from one source may each see the same count, so a burst can
    pass the cap by the few that race; what matters is that a flood cannot."""
    if conversation.priority >= Priority.NORMAL:
        return False
    same_source = Q()
    if conversation.visitor_id:
        same_source |= Q(visitor_id=conversation.visitor_id)
    if conversation.client_key:
        same_source |= Q(client_key=conversation.client_key)
    if not same_source:
        return False
    elevated = (
        Conversation.objects.filter(same_source)
        .filter(escalated_at__gte=timezone.now() - ELEVATED_WINDOW, priority__lt=Priority.NORMAL)
        .exclude(pk=conversation.pk)
        .count()
    )
    if elevated < ELEVATED_PER_SOURCE:
        return False
    asked = conversation.priority
    conversation.priority = Priority.NORMAL
    conversation.save(update_fields=["priority", "updated_at"])
    event.data = {**event.data, PRIORITY_CAPPED: asked}
    event.save(update_fields=["data"])
    return True
