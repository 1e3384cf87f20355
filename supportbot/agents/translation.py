"""Machine translation for agents through the serving engine: customer (and bot) messages into
the agent's language, and an agent's reply into the customer's.

Translations are made once per message and language and kept (``MessageTranslation``). The
engine is reached through the console's ``EngineClient`` (in-process or a Celery worker).
"""

from __future__ import annotations

import contextlib
import logging
import re

from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction

from supportbot.agents.models import MessageTranslation
from supportbot.chat.models import Actor, Conversation, Message
from supportbot.serving.engine_client import EngineClient

logger = logging.getLogger(__name__)


def language_of(accept_language: str) -> str:
    """The first language tag of an Accept-Language header, e.g. "de" for "de-CH,de;q=0.9"."""
    first = accept_language.split(",")[0].split(";")[0].strip().lower().split("-")[0]
    return first if re.fullmatch(r"[a-z]{2,3}", first) else "en"


def variant_of(public_id: str) -> str:
    conversation = Conversation.objects.select_related("variant").get(public_id=public_id)
    return conversation.variant.name if conversation.variant else "default"


async def translate(
    client: EngineClient, text: str, *, source: str, target: str, public_id: str
) -> str:
    """``text`` in ``target``; empty when the engine gave nothing."""
    variant = await database_sync_to_async(variant_of)(public_id)
    return await client.generate(
        {
            "kind": "translate",
            "text": text,
            "source": source,
            "target": target,
            "conversation": public_id,
        },
        variant=variant,
    )


def _model_text(message_id: int) -> str:
    return Message.objects.get(pk=message_id).model_text


def _known(message_id: int, language: str) -> str | None:
    return (
        MessageTranslation.objects.filter(message_id=message_id, language=language)
        .values_list("text", flat=True)
        .first()
    )


def _keep(message_id: int, language: str, text: str, *, source: bool = False) -> None:
    # Another console may have translated it at the same moment; theirs is as good.
    with contextlib.suppress(IntegrityError), transaction.atomic():
        MessageTranslation.objects.create(
            message_id=message_id, language=language, text=text, source=source
        )


async def message_translation(
    client: EngineClient, message: dict, agent_language: str
) -> dict | None:
    """A ``translation`` frame for a transcript item (``snapshots.message_item``) the agent
    cannot read as is, or None."""
    language = message.get("language") or ""
    if (
        message.get("role") not in (Actor.CUSTOMER, Actor.BOT)
        or not language
        or language == agent_language
    ):
        return None
    message_id = message["id"]
    text = await database_sync_to_async(_known)(message_id, agent_language)
    if text is None:
        # The model sees personal data only as placeholders, here too; the agent reads the
        # original right above the translation.
        source_text = await database_sync_to_async(_model_text)(message_id)
        text = await translate(
            client,
            source_text,
            source=language,
            target=agent_language,
            public_id=message["conversation"],
        )
        if not text:
            return None
        await database_sync_to_async(_keep)(message_id, agent_language, text)
    return {
        "type": "translation",
        "conversation": message["conversation"],
        "seq": message["seq"],
        "language": agent_language,
        "text": text,
        "machine_translated": True,
    }


def record_source_text(message: Message, agent_language: str, original: str) -> None:
    """Keep what the agent wrote beside the translation the customer received."""
    _keep(message.pk, agent_language, original, source=True)
