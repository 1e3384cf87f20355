"""Customers who leave mid-reply, and the same chat over a real Redis channel layer."""

from __future__ import annotations

import asyncio
import os
import uuid

import pytest
from asgiref.sync import sync_to_async

from supportbot.channel_layers import redis_channel_layer
from supportbot.chat.models import Actor, ConversationEvent, Message
from tests.chat.helpers import receive_reply, receive_until, send_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def bot_failures(conversation) -> list[str]:
    return list(
        ConversationEvent.objects.filter(
            conversation=conversation, kind=ConversationEvent.Kind.BOT_FAILED
        ).values_list("reason", flat=True)
    )


def bot_replies(conversation) -> int:
    return Message.objects.filter(conversation=conversation, role=Actor.BOT).count()


async def test_reply_is_abandoned_when_the_customer_leaves_and_answered_on_return(
    conversation_factory, connect, settings
):
    settings.SUPPORTBOT = {
        **settings.SUPPORTBOT,
        "ABANDON_GRACE_S": 0.2,
        "MAX_NEW_TOKENS": 1500,  # long enough to still be generating when we leave
    }
    conversation, token = await sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await send_message(ws, "Tell me everything about your return policy.")
    await receive_until(ws, "bot.delta")
    await ws.disconnect()

    for _ in range(100):
        if await sync_to_async(bot_failures)(conversation):
            break
        await asyncio.sleep(0.1)
    assert await sync_to_async(bot_failures)(conversation) == ["abort"]
    assert await sync_to_async(bot_replies)(conversation) == 0

    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "MAX_NEW_TOKENS": 16}
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "resume", "after_seq": 0})
    await receive_until(ws, "resume.done")
    _, done = await receive_reply(ws)
    assert done["reply_to"] == 1 and done["seq"] == 2
    assert await sync_to_async(bot_replies)(conversation) == 1
    await ws.disconnect()


async def test_a_reconnect_within_the_grace_period_keeps_the_reply(
    conversation_factory, connect, settings
):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "ABANDON_GRACE_S": 30, "MAX_NEW_TOKENS": 200}
    conversation, token = await sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await send_message(ws, "Where is my parcel?")
    await receive_until(ws, "bot.delta")
    await ws.disconnect()
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "resume", "after_seq": 1})
    frames = await receive_until(ws, "bot.done")
    assert frames[-1]["seq"] == 2 and frames[-1]["text"]
    assert await sync_to_async(bot_failures)(conversation) == []
    await ws.disconnect()


@pytest.fixture
def redis_layer(settings):
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is required in CI at {REDIS_URL} (.ci/run starts one)")
        pytest.skip(f"no Redis at {REDIS_URL}")
    settings.CHANNEL_LAYERS = {
        "default": redis_channel_layer(REDIS_URL, prefix=f"test-{uuid.uuid4().hex[:8]}")
    }
    yield
    # Channels drops its cached layer when the setting changes back.


async def test_chat_streams_over_a_real_redis_channel_layer(
    redis_layer, conversation_factory, connect
):
    from channels.layers import get_channel_layer
    from channels_redis.pubsub import RedisPubSubChannelLayer

    assert isinstance(get_channel_layer(), RedisPubSubChannelLayer)
    conversation, token = await sync_to_async(conversation_factory)()
    tab1, _ = await connect(conversation, token)
    tab2, _ = await connect(conversation, token)
    await send_message(tab1, "How do I reset my password?")
    (_, done1), (deltas2, done2) = await asyncio.gather(receive_reply(tab1), receive_reply(tab2))
    assert done1 == done2 and done1["seq"] == 2
    assert "".join(d["text"] for d in deltas2).strip() == done2["text"]
    await tab1.disconnect()
    await tab2.disconnect()


async def test_two_tabs_resuming_at_once_get_one_reply_generated_once(
    conversation_factory, connect
):
    from supportbot.chat.services import receive_customer_message

    conversation, token = await sync_to_async(conversation_factory)()
    await sync_to_async(receive_customer_message)(
        conversation.pk, client_id=uuid.uuid4(), text="Do you ship to Norway?"
    )
    tab1, _ = await connect(conversation, token)
    tab2, _ = await connect(conversation, token)
    await asyncio.gather(
        tab1.send_json_to({"type": "resume", "after_seq": 0}),
        tab2.send_json_to({"type": "resume", "after_seq": 0}),
    )
    (deltas1, done1), (deltas2, done2) = await asyncio.gather(
        receive_reply(tab1), receive_reply(tab2)
    )
    assert done1 == done2 and done1["seq"] == 2
    # One generation: each tab saw exactly one stream, not two interleaved.
    assert "".join(d["text"] for d in deltas1).strip() == done1["text"]
    assert "".join(d["text"] for d in deltas2).strip() == done2["text"]
    assert await sync_to_async(bot_replies)(conversation) == 1
    assert await tab1.receive_nothing(timeout=0.5)
    await tab1.disconnect()
    await tab2.disconnect()
