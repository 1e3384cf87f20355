"""One translation per message and language, whoever asks: consoles opening a conversation
at the same moment wait for one generation; translations are held to the engines' queue
bound, on their own queue, and a refusal is said, not swallowed."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from celery import current_app
from channels.db import database_sync_to_async

from supportbot.agents.models import MessageTranslation
from supportbot.serving.engine_client import EngineBusy, EngineClient
from supportbot.serving.models import GenerationRecord
from supportbot.serving.queues import AGENT_TEXT_TASK, translate_queue, variant_queue
from tests.agents.conftest import receive_type
from tests.agents.test_console_queue import escalated

pytestmark = pytest.mark.django_db(transaction=True)


async def test_consoles_opening_together_share_one_translation(
    conversation_factory, agent_factory, console
):
    consoles = []
    for name in ("first", "second", "third"):
        agent = await database_sync_to_async(agent_factory)(name)
        ws, _ = await console(agent, accept_language="en")
        consoles.append(ws)
    conversation = await database_sync_to_async(escalated)(
        conversation_factory, locale="de", said="Mein Paket ist seit zwei Wochen unterwegs."
    )
    public_id = str(conversation.public_id)

    for agent_ws in consoles:
        await agent_ws.send_json_to({"type": "open", "conversation": public_id})
    got = await asyncio.gather(
        *(receive_type(agent_ws, "translation", timeout=120) for agent_ws in consoles)
    )
    texts = {frames[-1]["text"] for frames in got}
    assert len(texts) == 1 and texts != {""}

    def made():
        return (
            GenerationRecord.objects.filter(
                conversation=conversation, purpose="translation"
            ).count(),
            MessageTranslation.objects.filter(message__conversation=conversation).count(),
        )

    assert await database_sync_to_async(made)() == (1, 1)


@pytest.fixture
def celery_mode(settings):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "ENGINE": "celery", "MAX_WAITING": 3}


@pytest.fixture
def variant():
    name = f"tr-{uuid.uuid4().hex[:8]}"
    yield name
    with current_app.connection_for_write() as connection:
        for queue in (translate_queue(name), variant_queue(name)):
            connection.default_channel.queue_purge(queue)


def queue_translations(variant: str, count: int) -> None:
    for _ in range(count):
        current_app.send_task(AGENT_TEXT_TASK, args=({"kind": "translate"},),
                              queue=translate_queue(variant))  # fmt: skip


async def test_translations_wait_on_their_own_queue_within_the_queue_bound(celery_mode, variant):
    client = EngineClient("test-console")
    request = {"kind": "translate", "text": "Hallo", "source": "de", "target": "en"}
    await database_sync_to_async(queue_translations)(variant, 2)
    # Room for one more: it is queued on translate.<variant>, not on the replies' queue.
    waiting = asyncio.create_task(client.generate(request, variant=variant))
    from supportbot.serving.celery_dispatch import queue_depth

    for _ in range(50):
        if await database_sync_to_async(queue_depth)(translate_queue(variant)) == 3:
            break
        await asyncio.sleep(0.1)
    assert await database_sync_to_async(queue_depth)(translate_queue(variant)) == 3
    assert await database_sync_to_async(queue_depth)(variant_queue(variant)) == 0
    waiting.cancel()
    # Full (replies and translations together): refused, nothing more queued.
    with pytest.raises(EngineBusy):
        await client.generate(request, variant=variant)
    assert await database_sync_to_async(queue_depth)(translate_queue(variant)) == 3
