"""Machine translation for agents through the serving engine: customer messages into the
agent's language, and an agent's reply into the customer's.

Translations are made once per message and language and kept (``MessageTranslation``). Like
drafts, they need the in-process engine; behind Celery workers the console shows originals.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

from channels.db import database_sync_to_async
from django.conf import settings
from django.db import IntegrityError, transaction

from inference_worker.sequence import GenerationRequest
from inference_worker.translating import translation_prompt
from supportbot.agents.models import MessageTranslation
from supportbot.chat.models import Actor, Message

logger = logging.getLogger(__name__)

TIMEOUT_S = 60.0


def available() -> bool:
    return settings.SUPPORTBOT["ENGINE"] == "inprocess"


def language_of(accept_language: str) -> str:
    """The first language tag of an Accept-Language header, e.g. "de" for "de-CH,de;q=0.9"."""
    first = accept_language.split(",")[0].split(";")[0].strip().lower()
    return first.split("-")[0] if first and first != "*" else "en"


def _generate(engine, text: str, source: str, target: str) -> str:
    prompt = translation_prompt(
        engine.tokenizer, text, source=source, target=target, instruct=engine.is_instruct
    )
    request = GenerationRequest(
        request_id=f"translate-{uuid.uuid4().hex}",
        prompt=prompt.text,
        max_new_tokens=max(32, min(512, len(text) * 2)),
        stop_strings=prompt.stop_strings,
    )
    final = ""
    for event in engine.stream(request, timeout=TIMEOUT_S):
        if event.done:
            final = event.text
    return final.strip()


async def translate(text: str, *, source: str, target: str) -> str:
    """``text`` in ``target``; empty when the engine gave nothing."""
    from supportbot.chat.dispatch import get_dispatcher

    loop = asyncio.get_running_loop()
    engine = await loop.run_in_executor(None, get_dispatcher().engine)
    return await loop.run_in_executor(None, _generate, engine, text, source, target)


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


async def message_translation(message: dict, agent_language: str) -> dict | None:
    """A ``translation`` frame for a transcript item (``snapshots.message_item``) the agent
    cannot read as is, or None."""
    language = message.get("language") or ""
    if (
        not available()
        or message.get("role") not in (Actor.CUSTOMER, Actor.BOT)
        or not language
        or language == agent_language
    ):
        return None
    message_id = message["id"]
    text = await database_sync_to_async(_known)(message_id, agent_language)
    if text is None:
        text = await translate(message["text"], source=language, target=agent_language)
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
