"""Chats answered by real Celery worker processes over a real Redis broker and layer."""

from __future__ import annotations

import asyncio
import time

import pytest
from channels.db import database_sync_to_async

from supportbot.chat.models import Actor, ConversationEvent, Message
from supportbot.experiments.models import ModelVariant
from tests.chat.helpers import receive_reply, receive_until, send_message
from tests.ops.test_metrics import scrape, value

pytestmark = pytest.mark.django_db(transaction=True)


def on_variant(conversation, name: str):
    variant, _ = ModelVariant.objects.get_or_create(name=name, defaults={"model": "tiny-moe"})
    conversation.variant = variant
    conversation.save(update_fields=["variant"])
    return conversation


async def metric_when(client, name: str, predicate, timeout: float = 15, **labels) -> float:
    """Scrape /metrics until ``name`` (summed over ``labels``) satisfies ``predicate``."""
    deadline = time.monotonic() + timeout
    while True:
        found = value(await database_sync_to_async(scrape)(client), name, **labels)
        if predicate(found) or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.3)


def replied_event(reply: Message) -> ConversationEvent:
    return ConversationEvent.objects.get(kind=ConversationEvent.Kind.BOT_REPLIED, message=reply)


async def open_chat(conversation_factory, connect, variant: str):
    conversation, token = await database_sync_to_async(conversation_factory)()
    await database_sync_to_async(on_variant)(conversation, variant)
    ws, connected = await connect(conversation, token)
    assert connected
    return conversation, ws


async def test_a_chat_is_answered_by_the_worker(
    worker_stack, conversation_factory, connect, client
):
    worker = await database_sync_to_async(worker_stack.start_worker)("alpha")
    conversation, ws = await open_chat(conversation_factory, connect, "alpha")

    await send_message(ws, "Where is my order?")
    ack = (await receive_until(ws, "ack"))[-1]
    deltas, done = await receive_reply(ws, timeout=60)

    assert deltas, "the reply should stream as deltas before bot.done"
    assert "".join(d["text"] for d in deltas).strip() == done["text"]
    assert all(d["reply_to"] == ack["seq"] for d in deltas)
    reply = await database_sync_to_async(Message.objects.get)(
        conversation=conversation, role=Actor.BOT
    )
    assert reply.seq == done["seq"] and reply.text == done["text"]
    event = await database_sync_to_async(replied_event)(reply)
    assert event.data["worker"] == worker.name
    assert event.data["engine_ttft_ms"] > 0
    await ws.disconnect()

    # The worker's engine metrics reach the web's /metrics through Redis.
    tokens = "supportbot_engine_generated_tokens_total"
    generated = await metric_when(client, tokens, lambda v: v >= len(deltas), worker=worker.name)
    assert generated >= len(deltas)
    ttft = "supportbot_engine_ttft_seconds_count"
    assert await metric_when(client, ttft, lambda v: v == 1, worker=worker.name) == 1
    text = await database_sync_to_async(scrape)(client)
    assert value(text, "supportbot_queue_depth", variant="alpha") == 0
    assert value(text, "supportbot_workers") == 1
    assert value(text, "supportbot_dispatches_total", outcome="queued") >= 1


async def test_two_variants_are_answered_by_their_own_workers(
    worker_stack, conversation_factory, connect
):
    alpha = await database_sync_to_async(worker_stack.start_worker)("alpha")
    beta = await database_sync_to_async(worker_stack.start_worker)("beta")
    chats = {
        alpha.name: await open_chat(conversation_factory, connect, "alpha"),
        beta.name: await open_chat(conversation_factory, connect, "beta"),
    }
    for _conversation, ws in chats.values():
        await send_message(ws, "Can I return a jacket?")
    for worker_name, (conversation, ws) in chats.items():
        _deltas, done = await receive_reply(ws, timeout=60)
        reply = await database_sync_to_async(Message.objects.get)(
            conversation=conversation, role=Actor.BOT
        )
        assert reply.seq == done["seq"]
        event = await database_sync_to_async(replied_event)(reply)
        assert event.data["worker"] == worker_name
        await ws.disconnect()
