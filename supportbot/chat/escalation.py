"""Handing a conversation from the bot to people: the one place escalation is written.

Every trigger (the customer's words or button, the safety filter, the model giving up, too many
bot turns, anger) comes through ``mark_escalated`` on a locked row, so the state change, its
reason code, the priority and the first-response clock are always recorded together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from supportbot.chat import frames
from supportbot.chat.handoff_texts import text as handoff_text
from supportbot.chat.models import Actor, Conversation, ConversationEvent, Priority


class Reason:
    """Reason codes of the event log and the ``handoff`` frames (docs/protocol.md)."""

    CUSTOMER_REQUEST = "customer_request"
    CUSTOMER_BUTTON = "customer_button"
    SAFETY = "safety"
    OUTPUT_BLOCKED = "output_blocked"
    BOT_CANNOT_HELP = "bot_cannot_help"
    NO_PROGRESS = "no_progress"
    NEGATIVE_SENTIMENT = "negative_sentiment"


PRIORITY_BY_REASON = {
    Reason.SAFETY: Priority.URGENT,
    Reason.OUTPUT_BLOCKED: Priority.URGENT,
    Reason.NEGATIVE_SENTIMENT: Priority.HIGH,
}


@dataclass(frozen=True, slots=True)
class Escalation:
    escalated: bool  # False when people already had the conversation (or it is closed)
    state: str
    reason: str


def mark_escalated(
    conversation: Conversation, *, reason: str, actor: str = Actor.SYSTEM, data: dict | None = None
) -> bool:
    """Move a bot conversation to the agents' queue. Call on a row locked in a transaction.

    Returns False (and changes nothing) when the conversation is not with the bot.
    """
    if conversation.state != Conversation.State.BOT:
        return False
    conversation.transition(Conversation.State.WAITING_AGENT, actor=actor, reason=reason, data=data)
    conversation.escalated_at = timezone.now()
    conversation.escalation_reason = reason
    conversation.priority = PRIORITY_BY_REASON.get(reason, Priority.NORMAL)
    conversation.first_response_at = None
    conversation.assigned_agent = None
    conversation.save(
        update_fields=[
            "escalated_at",
            "escalation_reason",
            "priority",
            "first_response_at",
            "assigned_agent",
        ]
    )
    return True


def raise_priority(
    conversation: Conversation, priority: int, *, reason: str, data: dict | None = None
) -> None:
    """A conversation people already have turns more urgent (e.g. distress while waiting).
    Call on a locked row; never lowers the priority."""
    if conversation.state == Conversation.State.RESOLVED or conversation.priority <= priority:
        return
    conversation.priority = priority
    conversation.save(update_fields=["priority", "updated_at"])
    ConversationEvent.objects.create(
        conversation=conversation,
        kind=ConversationEvent.Kind.PRIORITY_RAISED,
        actor=Actor.SYSTEM,
        reason=reason,
        data={"priority": priority, **(data or {})},
    )


def escalate(
    conversation_id: int, *, reason: str, actor: str = Actor.SYSTEM, data: dict | None = None
) -> Escalation:
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        moved = mark_escalated(conversation, reason=reason, actor=actor, data=data)
    return Escalation(moved, conversation.state, conversation.escalation_reason)


def agents_online() -> bool:
    from supportbot.agents.models import AgentPresence

    return AgentPresence.online().exists()


def handoff_frame(conversation: Conversation, reason: str) -> dict:
    """The ``handoff`` frame for the conversation's current state, with its notice."""
    language = conversation.language
    frame = frames.handoff(conversation.state, reason)
    state = conversation.state
    if state == Conversation.State.WAITING_AGENT:
        online = agents_online()
        frame["agents_online"] = online
        frame["contact_saved"] = bool(conversation.contact)
        frame["notice"] = handoff_text("waiting" if online else "offline", language)
    elif state == Conversation.State.AGENT:
        name = display_name(conversation.assigned_agent)
        frame["agent"] = name
        frame["notice"] = handoff_text("joined", language, agent=name)
    elif state == Conversation.State.BOT:
        frame["notice"] = handoff_text("bot_again", language)
    else:
        frame["notice"] = handoff_text("resolved", language)
    return frame


display_name = frames.agent_name


def leave_contact(conversation_id: int, *, name: str, email: str, phone: str) -> bool:
    """Keep the customer's contact details on the ticket (no agent was online). False, and
    nothing kept, unless the conversation waits for a person."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        if conversation.state != Conversation.State.WAITING_AGENT:
            return False
        first = not conversation.contact
        conversation.contact = {
            k: v for k, v in (("name", name), ("email", email), ("phone", phone)) if v
        }
        conversation.save(update_fields=["contact", "updated_at"])
        if first:  # a correction is not a second ticket contact
            ConversationEvent.objects.create(
                conversation=conversation,
                kind=ConversationEvent.Kind.CONTACT_LEFT,
                actor=Actor.CUSTOMER,
                data={"fields": sorted(conversation.contact)},
            )
    return True


@dataclass(frozen=True, slots=True)
class Signals:
    """What the detectors read in one customer message (computed off the database thread)."""

    wants_human: bool = False
    strongly_negative: bool = False


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


def last_transition_reason(conversation: Conversation) -> str:
    """The reason code of the move into the conversation's current state."""
    return (
        conversation.events.filter(kind=ConversationEvent.Kind.STATE_CHANGED)
        .order_by("-created_at", "-id")
        .values_list("reason", flat=True)
        .first()
        or ""
    )


CUSTOMER_MAY_RESOLVE = (Conversation.State.BOT, Conversation.State.WAITING_AGENT)


def resolve_by_customer(conversation_id: int) -> bool:
    """The customer ends a conversation the bot has, or one still waiting for a person (an
    agent in the chat closes it themselves). False when that is not possible now."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        if conversation.state not in CUSTOMER_MAY_RESOLVE:
            return False
        conversation.transition(
            Conversation.State.RESOLVED, actor=Actor.CUSTOMER, reason="customer_resolved"
        )
    return True


def resolve_idle(idle_for: timedelta, *, now: datetime | None = None) -> int:
    """Close bot conversations nobody wrote in for ``idle_for`` (reason ``idle_timeout``);
    the widget asks for the rating when the customer comes back. Returns how many."""
    cutoff = (now or timezone.now()) - idle_for
    closed = 0
    candidates = Conversation.objects.filter(
        state=Conversation.State.BOT, started_at__isnull=False, updated_at__lt=cutoff
    ).values_list("pk", flat=True)
    for pk in candidates.iterator():
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=pk)
            if conversation.state != Conversation.State.BOT or conversation.updated_at >= cutoff:
                continue  # the customer came back meanwhile
            conversation.transition(
                Conversation.State.RESOLVED, actor=Actor.SYSTEM, reason="idle_timeout"
            )
            closed += 1
    return closed
