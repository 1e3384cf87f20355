"""What a customer sees when workers die, the broker goes away, or the queue is full."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async

from supportbot.channel_layers import redis_channel_layer
from supportbot.chat.models import Actor, ConversationEvent, Message
from supportbot.serving.celery_dispatch import queue_depth
from tests.chat.helpers import receive_reply, receive_until, send_message
from tests.ops.test_metrics import scrape, value
from tests.workers.conftest import RedisServer, use_broker
from tests.workers.test_worker_replies import metric_when, open_chat, replied_event

pytestmark = pytest.mark.django_db(transaction=True)


def bot_replies(conversation) -> list[Message]:
    return list(Message.objects.filter(conversation=conversation, role=Actor.BOT))


async def test_a_worker_killed_mid_reply_costs_a_restart_not_the_reply(
    worker_stack, conversation_factory, connect, settings, client
):
    # Long enough that the kill lands mid-reply. The broker's redelivery timeout stays at
    # its production default: the dead worker's heartbeat lapsing is what restarts the job.
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "MAX_NEW_TOKENS": 160}
    worker_stack.redelivery_timeout_s = 300
    first = await database_sync_to_async(worker_stack.start_worker)("kill", name="first")
    conversation, ws = await open_chat(conversation_factory, connect, "kill")

    await send_message(ws, "My parcel never arrived, what now?")
    await receive_until(ws, "bot.delta", timeout=60)
    await database_sync_to_async(first.kill)()
    second = await database_sync_to_async(worker_stack.start_worker)("kill", name="second")

    frames = await receive_until(ws, "bot.done", timeout=90)
    types = [f["type"] for f in frames]
    assert "bot.restart" in types, types
    restart_at = types.index("bot.restart")
    done = frames[-1]
    # What streams after the restart is the whole reply, from its first token.
    after = "".join(f["text"] for f in frames[restart_at:] if f["type"] == "bot.delta")
    assert after.strip() == done["text"] and done["seq"] is not None

    replies = await database_sync_to_async(bot_replies)(conversation)
    assert [r.seq for r in replies] == [done["seq"]]
    event = await database_sync_to_async(replied_event)(replies[0])
    assert event.data["worker"] == second.name
    await ws.disconnect()
    redelivered = "supportbot_worker_redelivered_requests_total"
    assert await metric_when(client, redelivered, lambda v: v == 1, worker=second.name) == 1


async def test_broker_down_at_dispatch_keeps_the_message_and_answers_when_it_is_back(
    worker_stack, conversation_factory, connect, tmp_path
):
    # The broker is its own Redis here, so stopping it leaves the channel layer up.
    broker = RedisServer(tmp_path)
    broker.start()
    try:
        worker_stack.broker_url = broker.url()
        use_broker(broker.url())
        await database_sync_to_async(worker_stack.start_worker)("outage")
        conversation, ws = await open_chat(conversation_factory, connect, "outage")
        broker.stop()

        client_id = await send_message(ws, "Do you ship to Norway?")
        frames = await receive_until(ws, "error", timeout=30)
        ack, error = frames[0], frames[-1]
        assert ack["type"] == "ack" and ack["client_id"] == client_id
        assert error["code"] == "unavailable" and error["client_id"] == client_id
        stored = await database_sync_to_async(Message.objects.get)(
            conversation=conversation, client_id=client_id
        )
        assert stored.text == "Do you ship to Norway?"
        failures = await database_sync_to_async(
            lambda: list(
                ConversationEvent.objects.filter(
                    conversation=conversation, kind=ConversationEvent.Kind.DISPATCH_FAILED
                ).values_list("reason", flat=True)
            )
        )()
        assert failures == ["unavailable"]

        broker.start()  # same port, empty: the job was never queued, the web queues it now
        _deltas, done = await receive_reply(ws, timeout=90)
        assert done["seq"] is not None
        replies = await database_sync_to_async(bot_replies)(conversation)
        assert [r.reply_to_id for r in replies] == [stored.pk]
        await ws.disconnect()
    finally:
        broker.stop()


async def test_a_full_queue_refuses_with_busy_and_loses_nothing(
    worker_stack, conversation_factory, connect, settings, client
):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "MAX_WAITING": 2}
    chats = [await open_chat(conversation_factory, connect, "crowded") for _ in range(3)]
    # No worker serves the queue yet: two jobs wait, the third is over the bound.
    for _conversation, ws in chats[:2]:
        await send_message(ws, "Is the blue jacket in stock?")
        assert (await receive_until(ws, "ack"))[-1]["type"] == "ack"
    # The ack comes before the job is queued: wait until both are.
    for _ in range(100):
        if await database_sync_to_async(queue_depth)("variant.crowded") == 2:
            break
        await asyncio.sleep(0.05)
    _conversation, third = chats[2]
    client_id = await send_message(third, "Is the red jacket in stock?")
    frames = await receive_until(third, "error", timeout=30)
    assert frames[0]["type"] == "ack"
    assert frames[-1]["code"] == "busy" and frames[-1]["client_id"] == client_id
    text = await database_sync_to_async(scrape)(client)
    assert value(text, "supportbot_queue_depth", variant="crowded") == 2
    assert value(text, "supportbot_dispatches_total", outcome="busy") >= 1

    await database_sync_to_async(worker_stack.start_worker)("crowded")
    # All three are answered, the refused one too: the server queues it once there is room.
    for conversation, ws in chats:
        _deltas, done = await receive_reply(ws, timeout=90)
        replies = await database_sync_to_async(bot_replies)(conversation)
        assert [r.seq for r in replies] == [done["seq"]]
    for _conversation, ws in chats:
        await ws.disconnect()


def test_a_worker_that_cannot_serve_refuses_to_start(worker_stack):
    # Two variants in one process would share one model: refused before taking any job.
    worker = worker_stack.launch_worker(["variant.a", "variant.b"], name="confused")
    assert worker.process.wait(timeout=120) != 0
    assert "exactly one model variant" in worker.output()
    assert " ready." not in worker.output()


async def test_one_redis_for_everything_restarts_and_the_chat_carries_on(
    worker_stack, conversation_factory, connect, settings, tmp_path
):
    """The default deployment: broker, channel layer and cache on one Redis, restarted."""
    redis = RedisServer(tmp_path)
    redis.start()
    try:
        settings.REDIS_URL = redis.url()
        settings.CHANNEL_LAYERS = {"default": redis_channel_layer(redis.url())}
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": redis.url(),
                "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
            }
        }
        worker_stack.redis, worker_stack.broker_url = redis, redis.url()
        use_broker(redis.url())
        await database_sync_to_async(worker_stack.start_worker)("solo")
        conversation, ws = await open_chat(conversation_factory, connect, "solo")

        redis.stop()
        client_id = await send_message(ws, "Is my order on its way?")
        frames = await receive_until(ws, "error", timeout=30)
        assert frames[0]["type"] == "ack" and frames[-1]["code"] == "unavailable"
        assert frames[-1]["client_id"] == client_id

        redis.start()  # empty: no queue, no subscriptions; both sides must recover
        _deltas, done = await receive_reply(ws, timeout=120)
        assert done["seq"] is not None
        replies = await database_sync_to_async(bot_replies)(conversation)
        assert [r.seq for r in replies] == [done["seq"]]
        await ws.disconnect()
    finally:
        redis.stop()
