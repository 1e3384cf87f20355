"""The customer side of handing a conversation to people: escalating, leaving contact
details, resolving, and the ``handoff`` frames that tell the widget who has the chat.

The move itself is ``Conversation.escalate`` (one row, one rule). When to bring in a person
on the bot's behalf is the ticket side's call (``supportbot.agents.triggers``), made through
``signals.customer_message_stored``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from supportbot.chat import broadcast, csat, frames
from supportbot.chat.handoff_texts import text as handoff_text
from supportbot.chat.models import Actor, Conversation, ConversationEvent, Message, Reason
from supportbot.chat.signals import handoff_details

__all__ = ["Reason", "escalate", "handoff_frame", "leave_contact", "resolve_by_customer"]


@dataclass(frozen=True, slots=True)
class Escalation:
    escalated: bool  # False when people already had the conversation (or it is closed)
    state: str
    reason: str


def escalate(
    conversation_id: int, *, reason: str, actor: str = Actor.SYSTEM, data: dict | None = None
) -> Escalation:
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
        moved = conversation.escalate(reason=reason, actor=actor, data=data)
    return Escalation(moved, conversation.state, conversation.escalation_reason)


def escalate_for_customer(conversation_id: int) -> Escalation:
    """The customer asked for a person (the widget's button). Right after the bot said it
    has no answer, that is the bot's hand-over accepted (``bot_cannot_help``)."""
    last = (
        Message.objects.filter(conversation_id=conversation_id)
        .exclude(role=Actor.SYSTEM)
        .order_by("-seq")
        .values_list("role", "finish_reason")
        .first()
    )
    accepted = last == (Actor.BOT, frames.NO_SOURCE)
    reason = Reason.BOT_CANNOT_HELP if accepted else Reason.CUSTOMER_BUTTON
    data = {"accepted_offer": True} if accepted else None
    return escalate(conversation_id, reason=reason, actor=Actor.CUSTOMER, data=data)


def handoff_frame(conversation: Conversation, reason: str) -> dict:
    """The ``handoff`` frame for the conversation's current state, with its notice."""
    language = conversation.language
    frame = frames.handoff(conversation.state, reason)
    state = conversation.state
    if state == Conversation.State.WAITING_AGENT:
        details: dict = {"agents_online": False}
        for _receiver, extra in handoff_details.send(
            sender=Conversation, conversation=conversation
        ):
            details.update(extra or {})
        frame.update(details)
        frame["contact_saved"] = bool(conversation.contact)
        frame["notice"] = handoff_text(
            "waiting" if details["agents_online"] else "offline", language
        )
    elif state == Conversation.State.AGENT:
        name = frames.agent_name(conversation.assigned_agent)
        frame["agent"] = name
        frame["notice"] = handoff_text("joined", language, agent=name)
    elif state == Conversation.State.BOT:
        frame["notice"] = handoff_text("bot_again", language)
    else:
        frame["notice"] = handoff_text("resolved", language)
    return frame


def current_handoff_frame(conversation_id: int, reason: str | None = None) -> dict:
    """The ``handoff`` frame now; ``reason`` None means the reason of the last move."""
    conversation = Conversation.objects.select_related("assigned_agent").get(pk=conversation_id)
    return handoff_frame(conversation, reason or last_transition_reason(conversation))


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
            conversation.announce(
                ConversationEvent.Kind.CONTACT_LEFT,
                actor=Actor.CUSTOMER,
                data={"fields": sorted(conversation.contact)},
            )
    return True


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
            last_message = (
                conversation.messages.order_by("-seq").values_list("created_at", flat=True).first()
            )
            conversation.transition(
                Conversation.State.RESOLVED,
                actor=Actor.SYSTEM,
                reason="idle_timeout",
                # Handling time ends at the last message, not at this cleanup run.
                data={"last_message_at": last_message.isoformat() if last_message else None},
            )
            closed += 1
    return closed


def announce_to_customer(conversation: Conversation, event: ConversationEvent) -> None:
    """After commit, tell the customer's sockets who has the chat now, and ask for the rating
    once it is resolved. Listens to ``signals.conversation_changed`` (see ``apps``)."""
    if event.kind == ConversationEvent.Kind.STATE_CHANGED:
        reason = event.reason
    elif event.kind == ConversationEvent.Kind.TRANSFERRED:
        reason = "transferred"
    else:
        return
    public_id = str(conversation.public_id)
    broadcast.to_customers_on_commit(public_id, handoff_frame(conversation, reason))
    if conversation.state == Conversation.State.RESOLVED:
        csat.note_csat_requested(conversation)
        broadcast.to_customers_on_commit(public_id, csat.csat_request_frame(conversation))
