"""What the console shows, as JSON-ready dicts: the queue and one conversation's transcript."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Substr

from supportbot.agents.models import AgentPresence, CannedResponse, InternalNote
from supportbot.chat.frames import agent_name as display_name
from supportbot.chat.models import Actor, Conversation, Message
from supportbot.safety.models import SafetyEvent

QUEUE_STATES = (Conversation.State.WAITING_AGENT, Conversation.State.AGENT)
PREVIEW_CHARS = 120


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def first_response_due(conversation: Conversation) -> datetime | None:
    if conversation.escalated_at is None:
        return None
    return conversation.escalated_at + timedelta(
        seconds=settings.SUPPORTBOT["FIRST_RESPONSE_SLA_S"]
    )


def queue_items() -> list[dict]:
    # The preview is the newest customer message, fetched by the same query (one subquery
    # per row on the database, not every message of the queue through Python).
    newest_customer_text = Subquery(
        Message.objects.filter(conversation=OuterRef("pk"), role=Actor.CUSTOMER)
        .order_by("-seq")
        .values("text")[:1]
    )
    conversations = (
        Conversation.objects.filter(state__in=QUEUE_STATES)
        .select_related("assigned_agent")
        .annotate(preview=Substr(newest_customer_text, 1, PREVIEW_CHARS))
        .order_by("priority", "escalated_at", "id")[:500]
    )
    return [
        {
            "conversation": str(c.public_id),
            "state": c.state,
            "language": c.language,
            "reason": c.escalation_reason,
            "priority": c.priority,
            "escalated_at": _iso(c.escalated_at),
            "first_response_due": _iso(first_response_due(c)),
            "first_response_at": _iso(c.first_response_at),
            "assigned_to": c.assigned_agent.get_username() if c.assigned_agent else None,
            "preview": c.preview or "",
        }
        for c in conversations
    ]


def message_item(message: Message, categories: dict[int, list[str]] | None = None) -> dict:
    """One transcript line. Agents see what the customer wrote, personal data included."""
    if categories is None:
        categories = _safety_categories([message.pk])
    return {
        "id": message.pk,
        "conversation": str(message.conversation.public_id),
        "seq": message.seq,
        "role": message.role,
        "author": display_name(message.author) if message.author_id else "",
        "text": message.text,
        "language": message.language,
        "created_at": _iso(message.created_at),
        "finish_reason": message.finish_reason,
        "safety_action": message.safety_action,
        "safety_categories": categories.get(message.pk, []),
        "machine_translated": message.machine_translated,
    }


def _safety_categories(message_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    for message_id, cats in SafetyEvent.objects.filter(message_id__in=message_ids).values_list(
        "message_id", "categories"
    ):
        found.setdefault(message_id, []).extend(
            c for c in cats if c not in found.get(message_id, [])
        )
    return found


def note_item(note: InternalNote) -> dict:
    return {
        "conversation": str(note.conversation.public_id),
        "author": display_name(note.author) if note.author_id else "",
        "text": note.text,
        "created_at": _iso(note.created_at),
    }


def conversation_detail(conversation: Conversation) -> dict:
    messages = list(conversation.messages.select_related("author", "conversation").order_by("seq"))
    categories = _safety_categories([m.pk for m in messages])
    return {
        "type": "conversation",
        "conversation": str(conversation.public_id),
        "state": conversation.state,
        "language": conversation.language,
        "reason": conversation.escalation_reason,
        "priority": conversation.priority,
        "assigned_to": (
            conversation.assigned_agent.get_username() if conversation.assigned_agent else None
        ),
        "escalated_at": _iso(conversation.escalated_at),
        "first_response_due": _iso(first_response_due(conversation)),
        "first_response_at": _iso(conversation.first_response_at),
        "contact": conversation.contact,
        "messages": [message_item(m, categories) for m in messages],
        "notes": [
            note_item(n)
            for n in InternalNote.objects.filter(conversation=conversation).select_related(
                "author", "conversation"
            )
        ],
        "canned": [
            {"title": c.title, "text": c.text}
            for c in CannedResponse.objects.filter(language=conversation.language)
        ],
    }


def agents_list() -> list[dict]:
    from supportbot.agents.roles import ADMIN_GROUP, AGENT_GROUP

    online = set(AgentPresence.online().values_list("user_id", flat=True))
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name__in=(AGENT_GROUP, ADMIN_GROUP))
        .distinct()
        .order_by("username")
    )
    return [
        {"username": u.get_username(), "display_name": display_name(u), "online": u.pk in online}
        for u in users
    ]
