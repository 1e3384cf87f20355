"""What agents do to a conversation. Each function is one transaction on a locked row.

The claim is settled by a conditional UPDATE (``state = waiting_agent``), so two agents racing
for one ticket get one winner on every database, with or without row locks.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from supportbot.agents import notify, snapshots
from supportbot.agents.models import InternalNote
from supportbot.agents.roles import is_agent
from supportbot.chat import broadcast, frames
from supportbot.chat.models import Actor, Conversation, ConversationEvent, Message, StaleState


class AgentActionError(Exception):
    """Refused; ``code`` is the protocol's error code (docs/agent-console.md)."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True, slots=True)
class SentMessage:
    message: Message
    created: bool
    first_response: bool


def conversation_for(public_id: str) -> Conversation:
    try:
        return Conversation.objects.select_related("assigned_agent").get(
            public_id=uuid.UUID(str(public_id))
        )
    except (ValueError, Conversation.DoesNotExist):
        raise AgentActionError("not_found", "No such conversation.") from None


def visible_to(public_id: str, user) -> Conversation:
    """The conversation if ``user`` may read it: admins any; agents those in the queue
    (waiting or with a person) and those they have handled. Others look like unknown ids."""
    from supportbot.agents.roles import is_admin

    conversation = conversation_for(public_id)
    if is_admin(user) or conversation.state in (
        Conversation.State.WAITING_AGENT,
        Conversation.State.AGENT,
    ):
        return conversation
    if conversation.assigned_agent_id == user.pk or conversation.events.filter(user=user).exists():
        return conversation
    raise AgentActionError("not_found", "No such conversation.")


def is_assigned(public_id: str, agent) -> bool:
    """Does ``agent`` have the conversation now (the one who may write and type to it)?"""
    return Conversation.objects.filter(
        public_id=public_id, state=Conversation.State.AGENT, assigned_agent=agent
    ).exists()


def _locked(public_id: str, agent) -> Conversation:
    conversation = visible_to(public_id, agent)
    return Conversation.objects.select_for_update().get(pk=conversation.pk)


def _own(conversation: Conversation, agent) -> None:
    if conversation.state == Conversation.State.RESOLVED:
        raise AgentActionError("conversation_closed", "This conversation is resolved.")
    if conversation.state != Conversation.State.AGENT or conversation.assigned_agent_id != agent.pk:
        raise AgentActionError("not_yours", "Claim the conversation first.")


def claim(public_id: str, agent) -> Conversation:
    """Take a waiting conversation. Exactly one of several racing agents wins: the state
    machine's move is a conditional UPDATE (``Conversation.transition``)."""
    conversation = visible_to(public_id, agent)
    try:
        with transaction.atomic():
            if conversation.state != Conversation.State.WAITING_AGENT:
                raise StaleState(public_id)
            conversation.transition(
                Conversation.State.AGENT,
                actor=Actor.AGENT,
                user=agent,
                reason="claimed",
                assigned_agent=agent,
            )
    except StaleState:
        current = Conversation.objects.get(pk=conversation.pk)
        if current.state == Conversation.State.AGENT:
            raise AgentActionError("already_claimed", "Another agent has claimed it.") from None
        raise AgentActionError(
            "not_waiting", "This conversation is not waiting for an agent."
        ) from None
    return conversation_for(public_id)


def send(
    public_id: str,
    agent,
    *,
    client_id: uuid.UUID,
    text: str,
    redacted_text: str | None = None,
    machine_translated: bool = False,
) -> SentMessage:
    """The agent's message to the customer, stored once per ``client_id`` and announced to
    the customer's sockets and the consoles after commit. Stored as written (what the
    customer and the agents read) with a redacted copy beside it (what the model and
    analytics read): ``redacted_text`` when the caller has it (a translation made from the
    redacted words), otherwise made from ``text``."""
    try:
        with transaction.atomic():
            conversation = _locked(public_id, agent)
            existing = Message.objects.filter(
                conversation=conversation, client_id=client_id
            ).first()
            if existing is not None:
                return SentMessage(existing, created=False, first_response=False)
            _own(conversation, agent)
            now = timezone.now()
            first = conversation.first_response_at is None
            if first:
                conversation.first_response_at = now
            message = conversation.add_message(
                role=Actor.AGENT,
                text=text,
                redacted_text=redacted_text,
                client_id=client_id,
                language=conversation.language,
                author=agent,
                created_at=now,
                machine_translated=machine_translated,
                save_fields=("first_response_at",) if first else (),
            )
            broadcast.to_customers_on_commit(
                str(conversation.public_id), frames.stored_message(message)
            )
            if first:
                conversation.announce(
                    ConversationEvent.Kind.FIRST_RESPONSE,
                    actor=Actor.AGENT,
                    user=agent,
                    message=message,
                    created_at=now,
                )
    except IntegrityError:
        message = Message.objects.get(conversation__public_id=public_id, client_id=client_id)
        return SentMessage(message, created=False, first_response=False)
    return SentMessage(message, created=True, first_response=first)


def add_note(public_id: str, agent, text: str) -> InternalNote:
    """An internal note, shown to every console following the conversation (never the
    customer)."""
    conversation = visible_to(public_id, agent)
    with transaction.atomic():
        note = InternalNote.objects.create(conversation=conversation, author=agent, text=text)
        frame = {"type": "note", **snapshots.note_item(note)}
        notify.to_conversation_agents(str(conversation.public_id), frame)
    return note


def transfer(public_id: str, agent, to_username: str) -> Conversation:
    target = get_user_model().objects.filter(username=to_username, is_active=True).first()
    if target is None or not is_agent(target):
        raise AgentActionError("unknown_agent", "No such agent.")
    with transaction.atomic():
        conversation = _locked(public_id, agent)
        _own(conversation, agent)
        if target.pk == agent.pk:
            return conversation
        conversation.assigned_agent = target
        conversation.save(update_fields=["assigned_agent", "updated_at"])
        conversation.announce(
            ConversationEvent.Kind.TRANSFERRED,
            from_state=conversation.state,
            to_state=conversation.state,
            actor=Actor.AGENT,
            user=agent,
            reason="transferred",
            data={"from": agent.get_username(), "to": target.get_username()},
        )
    return conversation_for(public_id)


def resolve(public_id: str, agent) -> Conversation:
    with transaction.atomic():
        conversation = _locked(public_id, agent)
        # A waiting ticket may be closed unclaimed (e.g. answered by email from its contact).
        if conversation.state != Conversation.State.WAITING_AGENT:
            _own(conversation, agent)
        conversation.transition(
            Conversation.State.RESOLVED, actor=Actor.AGENT, reason="agent_resolved", user=agent
        )
    return conversation_for(public_id)


def hand_back(public_id: str, agent) -> Conversation:
    with transaction.atomic():
        conversation = _locked(public_id, agent)
        _own(conversation, agent)
        conversation.transition(
            Conversation.State.BOT,
            actor=Actor.AGENT,
            reason="handed_back",
            user=agent,
            assigned_agent=None,
        )
    return conversation_for(public_id)
