"""The ticket side listening to the chat (``supportbot.chat.signals``); wired in ``apps``.

Each receiver runs inside the transaction that made the change; what it tells the consoles
leaves on commit (``notify``).
"""

from __future__ import annotations

from supportbot.agents import notify, snapshots, triggers
from supportbot.chat import broadcast
from supportbot.chat.models import Actor, Conversation, ConversationEvent

QUEUE_EVENTS = frozenset(
    {
        ConversationEvent.Kind.STATE_CHANGED,
        ConversationEvent.Kind.PRIORITY_RAISED,
        ConversationEvent.Kind.CONTACT_LEFT,
        ConversationEvent.Kind.TRANSFERRED,
        ConversationEvent.Kind.FIRST_RESPONSE,
    }
)


def on_customer_message(sender, *, conversation, message, signals, **kwargs) -> None:
    triggers.escalate_if_needed(conversation, message, signals)


LIVE_ROLES = frozenset({Actor.CUSTOMER, Actor.AGENT})


def on_message(sender, *, conversation, message, **kwargs) -> None:
    # Consoles see the bot's replies when they open the transcript; live, the people's words.
    if message.role not in LIVE_ROLES:
        return
    # Built after commit: the safety flags of the message are stored after it.
    notify.to_conversation_agents(
        str(conversation.public_id), lambda: {"type": "message", **snapshots.message_item(message)}
    )


def on_conversation_changed(sender, *, conversation, event, **kwargs) -> None:
    if event.kind not in QUEUE_EVENTS:
        return
    escalated = (
        event.to_state == Conversation.State.WAITING_AGENT and event.from_state != event.to_state
    )
    if escalated:
        # A fact for the metrics: was anybody there to take it? (DESIGN.md, "Escalation")
        event.data = {**event.data, "agents_online": triggers.agents_online()}
        event.save(update_fields=["data"])
    if escalated or event.kind == ConversationEvent.Kind.PRIORITY_RAISED:
        triggers.cap_priority(conversation, event)
    if event.kind in (ConversationEvent.Kind.STATE_CHANGED, ConversationEvent.Kind.TRANSFERRED):
        notify.to_conversation_agents(str(conversation.public_id), notify.state_frame(conversation))
    notify.queue_changed()


def on_handoff(sender, *, conversation, **kwargs) -> dict:
    return {"agents_online": triggers.agents_online()}


async def on_customer_typing(sender, *, public_id, **kwargs) -> None:
    frame = {"type": "typing", "conversation": public_id, "role": "customer"}
    await broadcast.send_now(
        notify.conversation_group(public_id), {"type": "agent.frame", "frame": frame}
    )
