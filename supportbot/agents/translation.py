"""Machine translation for agents through the serving engine: customer (and bot) messages into
the agent's language, and an agent's reply into the customer's.

The engine sees personal data only as placeholders, and what it writes passes the output
guard before anyone reads it. The engine is reached through the console's ``EngineClient``
(in-process or a Celery worker).

A message is translated once per language, whoever asks: the translation is kept
(``MessageTranslation``, unique per message and language), and while it is being made the
other consoles that want it wait for it instead of asking the engine again (a lock in the
cache, shared by every web process, with the outcome left beside it for the waiters).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from dataclasses import dataclass

from channels.db import database_sync_to_async
from django.core.cache import cache
from django.db import IntegrityError, transaction

from supportbot.agents.models import MessageTranslation
from supportbot.agents.services import AgentActionError
from supportbot.chat.models import Actor, Conversation, Message
from supportbot.safety.guard import check_agent_text, translation_context
from supportbot.safety.models import SafetyEvent
from supportbot.safety.redaction import hide_personal_data
from supportbot.serving.agent_text import TIMEOUT_S
from supportbot.serving.engine_client import EngineBusy, EngineClient

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
    try:
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
    except EngineBusy:
        raise AgentActionError("busy", BUSY_NOTICE) from None


BLOCKED_NOTICE = "The machine translation did not pass the safety check and is not shown."
BUSY_NOTICE = "The assistant is busy; the machine translation was not made. Try again soon."
FAILED_NOTICE = "No machine translation came back."
NOTICES = {"blocked": BLOCKED_NOTICE, "busy": BUSY_NOTICE, "failed": FAILED_NOTICE}
# The one console making a translation holds this long at most (the engine's own timeout,
# and some room); the others wait as long for it.
LOCK_S = TIMEOUT_S + 30
# What became of a translation nobody kept (blocked, busy, failed): the consoles waiting for
# it read this instead of asking the engine again.
OUTCOME_S = 30
POLL_S = 0.2


@dataclass(frozen=True, slots=True)
class TranslatedReply:
    text: str  # what the customer reads: the translation with the hidden values back
    # The stored redacted copy: the translation as the engine wrote it (placeholders in
    # place); None when the agent gave no personal data (the message makes its own).
    redacted_text: str | None


async def translate_reply(
    client: EngineClient, text: str, *, source: str, target: str, public_id: str
) -> TranslatedReply:
    """An agent's reply in the customer's language. The engine gets it with personal data
    replaced by placeholders and the values the agent wrote go back into the translation,
    so the customer reads them and the engine never does. ``AgentActionError``
    (nothing is sent): ``translation_failed`` when there is no translation or it lost a
    placeholder, ``translation_blocked`` when the output guard stopped it."""
    redaction = hide_personal_data(text)
    translated = await translate(
        client, redaction.text, source=source, target=target, public_id=public_id
    )
    if not translated:
        raise AgentActionError("translation_failed", "The reply could not be translated.")
    blocked = await database_sync_to_async(_blocked)(
        translated, redaction.text, public_id=public_id, language=target
    )
    if blocked:
        raise AgentActionError(
            "translation_blocked",
            f"The translation did not pass the safety check ({', '.join(blocked)}); "
            "nothing was sent.",
        )
    restored = redaction.restore(translated)
    if restored is None:
        raise AgentActionError(
            "translation_failed",
            "The translation lost personal data the reply gives (an email, a number...); "
            "send it untranslated or reword it.",
        )
    # Placeholders where the agent's values went back in, and anything else hidden too.
    redacted = hide_personal_data(translated).text if redaction.hidden else None
    return TranslatedReply(restored, redacted)


def _blocked(translated: str, source: str, *, public_id: str, language: str) -> list[str]:
    """The categories for which the output guard stops ``translated`` (logged), or none."""
    conversation_id = Conversation.objects.values_list("pk", flat=True).get(public_id=public_id)
    verdict = check_agent_text(
        translated,
        translation_context(source),
        conversation_id=conversation_id,
        direction=SafetyEvent.Direction.TRANSLATION,
        language=language,
        source=source,
    )
    return [str(c) for c in verdict.categories] if not verdict.is_allow else []


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


def _lock_key(message_id: int, language: str) -> str:
    return f"agents:translating:{message_id}:{language}"


async def message_translation(
    client: EngineClient, message: dict, agent_language: str
) -> dict | None:
    """A ``translation`` frame for a transcript item (``snapshots.message_item``) the agent
    cannot read as is, or None. Made once for every console (see the module's docstring);
    a translation that could not be made comes with ``blocked``, ``busy`` or ``failed`` and
    a ``notice``."""
    language = message.get("language") or ""
    if (
        message.get("role") not in (Actor.CUSTOMER, Actor.BOT)
        or not language
        or language == agent_language
    ):
        return None
    message_id = message["id"]
    frame = {
        "type": "translation",
        "conversation": message["conversation"],
        "seq": message["seq"],
        "language": agent_language,
        "machine_translated": True,
        "blocked": False,
    }
    lock = _lock_key(message_id, agent_language)
    deadline = time.monotonic() + LOCK_S
    while True:
        text = await database_sync_to_async(_known)(message_id, agent_language)
        if text is not None:
            return {**frame, "text": text}
        if await cache.aadd(lock, 1, timeout=LOCK_S):
            break  # this console makes it
        # Another console is making it: wait for the row, or for what became of it.
        while await cache.aget(lock) is not None and time.monotonic() < deadline:
            await asyncio.sleep(POLL_S)
            if await database_sync_to_async(_known)(message_id, agent_language) is not None:
                break
        else:
            outcome = await cache.aget(f"{lock}:outcome")
            if outcome is not None:
                return _not_made(frame, outcome)
            if time.monotonic() >= deadline:
                return _not_made(frame, "failed")
    try:
        outcome, text = await _make(client, message, agent_language)
    except BaseException:
        await cache.adelete(lock)  # cancelled (the console closed): the next one tries
        raise
    if outcome != "made":
        await cache.aset(f"{lock}:outcome", outcome, timeout=OUTCOME_S)
    await cache.adelete(lock)
    return {**frame, "text": text} if outcome == "made" else _not_made(frame, outcome)


def _not_made(frame: dict, outcome: str) -> dict:
    return {
        **frame,
        "text": "",
        "blocked": outcome == "blocked",
        outcome: True,
        "notice": NOTICES[outcome],
    }


async def _make(client: EngineClient, message: dict, agent_language: str) -> tuple[str, str]:
    """(outcome, text): ``made`` (and kept), ``blocked``, ``busy`` or ``failed``."""
    message_id, language = message["id"], message["language"]
    # The model sees personal data only as placeholders, here too; the agent reads the
    # original right above the translation.
    source_text = await database_sync_to_async(_model_text)(message_id)
    try:
        text = await translate(
            client,
            source_text,
            source=language,
            target=agent_language,
            public_id=message["conversation"],
        )
    except AgentActionError:  # busy: nothing was queued
        return "busy", ""
    if not text:
        return "failed", ""
    blocked = await database_sync_to_async(_blocked)(
        text, source_text, public_id=message["conversation"], language=language
    )
    if blocked:  # not kept: a later opening tries again
        return "blocked", ""
    await database_sync_to_async(_keep)(message_id, agent_language, text)
    return "made", text


def record_source_text(message: Message, agent_language: str, original: str) -> None:
    """Keep what the agent wrote beside the translation the customer received."""
    _keep(message.pk, agent_language, original, source=True)
