"""Keeping the facts current: every source row that changes a conversation's figures
rebuilds its facts inside the same transaction (``facts.rebuild``).

Django's own ``post_save`` of the source models, so no writer can forget to tell analytics:
chat, the ticket side, serving and safety never import this app.
"""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from supportbot.analytics import facts, rollups
from supportbot.analytics.models import ConversationFact
from supportbot.chat.models import Conversation, ConversationEvent, CsatResponse, Message
from supportbot.safety.models import SafetyEvent
from supportbot.serving.models import GenerationRecord

# The rows whose saving changes a conversation's figures.
SOURCES = (ConversationEvent, Message, CsatResponse, GenerationRecord, SafetyEvent)
# Fields of a conversation row that its facts copy (the rest arrive with an event).
FACT_FIELDS = frozenset({"language", "variant", "started_at"})


def _rebuild_for(sender, instance, raw: bool = False, **kwargs) -> None:
    if raw:  # loaddata: history is rebuilt with ``manage.py rebuild_facts``
        return
    if sender is ConversationEvent and instance.kind not in facts.HISTORY_EVENTS:
        # The others change nothing the facts hold, or come with a row that rebuilds them
        # anyway (a reply's message, a rating).
        return
    conversation_id = getattr(instance, "conversation_id", None)
    if conversation_id is not None:
        facts.rebuild(conversation_id)


def _conversation_saved(sender, instance: Conversation, created: bool, raw: bool = False,
                        update_fields=None, **kwargs) -> None:  # fmt: skip
    if raw or created:
        return
    if update_fields is None or FACT_FIELDS & set(update_fields):
        facts.rebuild(instance.pk)


def _fact_deleted(sender, instance: ConversationFact, **kwargs) -> None:
    rollups.apply_change(instance, None)


def connect() -> None:
    for model in SOURCES:
        post_save.connect(_rebuild_for, sender=model, dispatch_uid=f"analytics.{model.__name__}")
    post_save.connect(
        _conversation_saved, sender=Conversation, dispatch_uid="analytics.Conversation"
    )
    post_delete.connect(_fact_deleted, sender=ConversationFact, dispatch_uid="analytics.fact")


def disconnect() -> None:
    """Undo ``connect`` (bench/facts_overhead.py measures the write path without it)."""
    for model in SOURCES:
        post_save.disconnect(sender=model, dispatch_uid=f"analytics.{model.__name__}")
    post_save.disconnect(sender=Conversation, dispatch_uid="analytics.Conversation")
    post_delete.disconnect(sender=ConversationFact, dispatch_uid="analytics.fact")
