"""What the console shows, as JSON-ready dicts: the queue and one conversation's transcript."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import CharField, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Substr

from supportbot.agents.models import AgentPresence, CannedResponse, InternalNote
from supportbot.chat.frames import agent_name as display_name
from supportbot.chat.models import Actor, Conversation, ConversationEvent, Message
from supportbot.safety.models import SafetyEvent

QUEUE_STATES = (Conversation.State.WAITING_AGENT, Conversation.State.AGENT)
PREVIEW_CHARS = 120
# The key of the event data that marks an escalation whose priority was capped.
PRIORITY_CAPPED = "priority_capped"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def first_response_due(conversation: Conversation) -> datetime | None:
    if conversation.escalated_at is None:
        return None
    return conversation.escalated_at + timedelta(
        seconds=settings.SUPPORTBOT["FIRST_RESPONSE_SLA_S"]
    )


QUEUE_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_SEARCH_CHARS = 200


@dataclass(frozen=True, slots=True)
class QueueView:
    """What one console asked to see of the queue: a page of the matches of its search.

    ``search`` matches a conversation id (or its start), the contact's name or email, or the
    text of the newest customer message (case-insensitive); ``language`` is exact."""

    offset: int = 0
    limit: int = QUEUE_PAGE_SIZE
    search: str = ""
    language: str = ""

    def as_dict(self) -> dict:
        return {
            "offset": self.offset,
            "limit": self.limit,
            "search": self.search,
            "language": self.language,
        }


def queue_view(frame: dict) -> QueueView:
    """The ``QueueView`` a ``queue`` frame asks for; ``ValueError`` names a bad field."""
    offset, limit = frame.get("offset", 0), frame.get("limit", QUEUE_PAGE_SIZE)
    search, language = frame.get("search", ""), frame.get("language", "")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise ValueError("'offset' must be a whole number >= 0.")
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= MAX_PAGE_SIZE:
        raise ValueError(f"'limit' must be between 1 and {MAX_PAGE_SIZE}.")
    if not isinstance(search, str) or len(search) > MAX_SEARCH_CHARS:
        raise ValueError(f"'search' must be text of at most {MAX_SEARCH_CHARS} characters.")
    if not isinstance(language, str) or len(language) > 8:
        raise ValueError("'language' must be a language code.")
    return QueueView(offset, limit, " ".join(search.split()), language.strip().lower())


def _search_filter(search: str) -> Q:
    terms = Q(preview_text__icontains=search)
    terms |= Q(contact__name__icontains=search) | Q(contact__email__icontains=search)
    hexed = search.replace("-", "").lower()
    if len(hexed) == 32 and all(c in "0123456789abcdef" for c in hexed):
        terms |= Q(public_id=uuid.UUID(hexed))
    elif len(hexed) >= 4 and all(c in "0123456789abcdef" for c in hexed):
        # The start of an id: its text form has dashes on PostgreSQL, none on SQLite.
        terms |= Q(public_id_text__startswith=search.lower()) | Q(public_id_text__startswith=hexed)
    return terms


def queue_page(view: QueueView = QueueView()) -> dict:
    """One page of the queue as the ``queue`` frame carries it: ``items`` by priority, then
    waiting time, with ``total`` (all matches), ``offset``, ``limit``, ``search``, ``language``.
    """
    # The preview is the newest customer message, fetched by the same query (one subquery
    # per row on the database, not every message of the queue through Python).
    newest_customer_text = Subquery(
        Message.objects.filter(conversation=OuterRef("pk"), role=Actor.CUSTOMER)
        .order_by("-seq")
        .values("text")[:1]
    )
    capped = ConversationEvent.objects.filter(
        conversation=OuterRef("pk"), data__has_key=PRIORITY_CAPPED
    )
    conversations = Conversation.objects.filter(state__in=QUEUE_STATES)
    if view.language:
        conversations = conversations.filter(language=view.language)
    if view.search:
        conversations = conversations.annotate(
            preview_text=newest_customer_text, public_id_text=Cast("public_id", CharField())
        ).filter(_search_filter(view.search))
    total = conversations.count()
    page = (
        conversations.select_related("assigned_agent")
        .annotate(preview=Substr(newest_customer_text, 1, PREVIEW_CHARS), capped=Exists(capped))
        .order_by("priority", "escalated_at", "id")[view.offset : view.offset + view.limit]
    )
    return {
        "type": "queue",
        "items": [_queue_item(c) for c in page],
        "total": total,
        **view.as_dict(),
    }


def queue_items() -> list[dict]:
    """The first page of the whole queue (the items of the default ``queue`` frame)."""
    return queue_page()["items"]


def _queue_item(c: Conversation) -> dict:
    return {
        "conversation": str(c.public_id),
        "state": c.state,
        "language": c.language,
        "reason": c.escalation_reason,
        "priority": c.priority,
        # Its priority was lowered: its address or visitor had too many urgent
        # escalations lately (triggers.cap_priority).
        "priority_capped": c.capped,
        "escalated_at": _iso(c.escalated_at),
        "first_response_due": _iso(first_response_due(c)),
        "first_response_at": _iso(c.first_response_at),
        "assigned_to": c.assigned_agent.get_username() if c.assigned_agent else None,
        "preview": c.preview or "",
    }


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
