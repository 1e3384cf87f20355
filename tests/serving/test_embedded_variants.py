"""The embedded default serves every variant: one engine per model, loaded on first use, and a
clear error when a variant's model cannot load."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from supportbot.chat.dispatching import get_dispatcher, reset_dispatcher
from supportbot.chat.models import Actor, Conversation, Message
from supportbot.experiments.models import ModelVariant
from tests.chat.helpers import receive_reply, send_message

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fresh_dispatcher():
    reset_dispatcher()
    yield get_dispatcher()
    reset_dispatcher()


def assign(conversation, name: str, model: str, **generation) -> None:
    variant = ModelVariant.objects.create(name=name, model=model, generation=generation)
    Conversation.objects.filter(pk=conversation.pk).update(variant=variant)


async def test_a_variant_with_another_model_gets_its_own_engine(
    fresh_dispatcher, tiny_moe, conversation_factory, connect
):
    from inference_worker.loader import resolve_model_path

    # The same checkpoint named by its folder is another model to the dispatcher.
    folder = resolve_model_path("tiny-moe")
    first, first_token = await database_sync_to_async(conversation_factory)(visitor="a")
    second, second_token = await database_sync_to_async(conversation_factory)(visitor="b")
    await database_sync_to_async(assign)(second, "from-folder", folder, max_new_tokens=5)

    for conversation, token in ((first, first_token), (second, second_token)):
        ws, _ = await connect(conversation, token)
        await send_message(ws, "Where is my order?")
        _deltas, done = await receive_reply(ws, timeout=120)
        assert done["seq"] is not None
        await ws.disconnect()

    engines = {
        id(await database_sync_to_async(fresh_dispatcher.engine)(name))
        for name in ("default", "from-folder")
    }
    assert len(engines) == 2
    reply = await database_sync_to_async(
        lambda: Message.objects.select_related("variant").get(conversation=second, role=Actor.BOT)
    )()
    assert reply.variant.name == "from-folder" and reply.token_count <= 5


async def test_a_variant_whose_model_cannot_load_answers_unavailable(
    fresh_dispatcher, conversation_factory, connect, tmp_path
):
    conversation, token = await database_sync_to_async(conversation_factory)()
    await database_sync_to_async(assign)(conversation, "broken", str(tmp_path / "no-model"))
    ws, _ = await connect(conversation, token)
    await send_message(ws, "Hello?")
    ack = await ws.receive_json_from(timeout=60)
    error = await ws.receive_json_from(timeout=60)
    assert ack["type"] == "ack"
    assert (error["type"], error["code"]) == ("error", "unavailable")
    await ws.disconnect()
