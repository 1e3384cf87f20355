"""The customer socket end to end: real consumer, real channel layer, real tiny model."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async

from supportbot.chat.models import Actor, ConversationEvent, Message
from tests.chat.helpers import receive_reply, receive_until, send_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def stored(conversation):
    return list(Message.objects.filter(conversation=conversation).order_by("seq"))


async def test_message_is_acked_streamed_answered_and_stored(conversation_factory, connect):
    conversation, token = await sync_to_async(conversation_factory)()
    ws, connected = await connect(conversation, token)
    assert connected

    client_id = await send_message(ws, "Where is my order? I ordered it last week.")
    ack = await ws.receive_json_from(timeout=10)
    assert ack == {"type": "ack", "client_id": client_id, "seq": 1, "language": "en"}

    deltas, done = await receive_reply(ws)
    assert deltas, "the reply should stream in pieces"
    assert all(d["reply_to"] == 1 for d in deltas)
    assert done["reply_to"] == 1 and done["seq"] == 2
    assert done["text"] and "".join(d["text"] for d in deltas).strip() == done["text"]

    customer, reply = await sync_to_async(stored)(conversation)
    assert (customer.role, customer.text, str(customer.client_id)) == (
        Actor.CUSTOMER,
        "Where is my order? I ordered it last week.",
        client_id,
    )
    assert reply.role == Actor.BOT and reply.reply_to_id == customer.pk
    assert reply.text == done["text"] and reply.finish_reason == done["finish_reason"]
    assert reply.token_count and reply.token_count > 0
    assert customer.created_at <= reply.queued_at <= reply.first_token_at <= reply.completed_at
    kinds = await sync_to_async(
        lambda: list(
            ConversationEvent.objects.filter(conversation=conversation).values_list(
                "kind", flat=True
            )
        )
    )()
    assert kinds == ["created", "started", "bot_replied"]
    await ws.disconnect()


async def test_two_conversations_are_answered_at_once_without_crosstalk(
    conversation_factory, connect
):
    (first, first_token), (second, second_token) = [
        await sync_to_async(conversation_factory)(visitor=f"v{i}") for i in range(2)
    ]
    ws1, _ = await connect(first, first_token)
    ws2, _ = await connect(second, second_token)
    await send_message(ws1, "How long does shipping take?")
    await send_message(ws2, "Wie lange dauert der Versand?")
    (_, done1), (_, done2) = await asyncio.gather(receive_reply(ws1), receive_reply(ws2))
    rows1, rows2 = await sync_to_async(stored)(first), await sync_to_async(stored)(second)
    assert [m.role for m in rows1] == [Actor.CUSTOMER, Actor.BOT]
    assert [m.role for m in rows2] == [Actor.CUSTOMER, Actor.BOT]
    assert rows1[1].text == done1["text"] and rows2[1].text == done2["text"]
    assert rows2[0].language == "de"
    # Nothing of the other conversation reached either socket.
    assert await ws1.receive_nothing(timeout=0.3)
    assert await ws2.receive_nothing(timeout=0.3)
    await ws1.disconnect()
    await ws2.disconnect()


async def test_resent_client_id_is_acked_again_and_stored_once(conversation_factory, connect):
    conversation, token = await sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    client_id = await send_message(ws, "Can I return shoes?")
    first_ack = await ws.receive_json_from(timeout=10)
    await receive_reply(ws)
    await send_message(ws, "Can I return shoes?", client_id=client_id)
    second_ack = await ws.receive_json_from(timeout=10)
    assert first_ack == second_ack
    assert await ws.receive_nothing(timeout=1.0), "a resend must not be answered again"
    rows = await sync_to_async(stored)(conversation)
    assert [m.role for m in rows] == [Actor.CUSTOMER, Actor.BOT]
    await ws.disconnect()


async def test_resume_replays_what_the_customer_missed(conversation_factory, connect):
    conversation, token = await sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    client_id = await send_message(ws, "How do I reset my password?")
    _, done = await receive_reply(ws)
    await ws.disconnect()

    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "resume", "after_seq": 0})
    frames = await receive_until(ws, "resume.done")
    assert frames[0] == {
        "type": "message",
        "seq": 1,
        "role": "customer",
        "text": "How do I reset my password?",
        "language": "en",
        "client_id": client_id,
    }
    assert frames[1] == done
    assert frames[2] == {"type": "resume.done", "last_seq": 2}

    await ws.send_json_to({"type": "resume", "after_seq": 1})
    frames = await receive_until(ws, "resume.done")
    assert [f["type"] for f in frames] == ["bot.done", "resume.done"]
    await ws.disconnect()


async def test_resume_answers_a_question_left_unanswered(conversation_factory, connect):
    """A message stored before a restart, never answered, is answered when the customer is back."""
    from supportbot.chat.services import receive_customer_message

    conversation, token = await sync_to_async(conversation_factory)()
    await sync_to_async(receive_customer_message)(
        conversation.pk, client_id=uuid.uuid4(), text="Do you ship to Canada?"
    )
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "resume", "after_seq": 0})
    await receive_until(ws, "resume.done")
    _, done = await receive_reply(ws)
    assert done["reply_to"] == 1 and done["seq"] == 2
    await ws.disconnect()


async def test_another_customers_message_reaches_all_their_tabs(conversation_factory, connect):
    conversation, token = await sync_to_async(conversation_factory)()
    tab1, _ = await connect(conversation, token)
    tab2, _ = await connect(conversation, token)
    client_id = await send_message(tab1, "Hello from tab one")
    frames = await receive_until(tab2, "message")
    assert frames[-1]["client_id"] == client_id and frames[-1]["seq"] == 1
    await receive_reply(tab1)
    await receive_reply(tab2)
    await tab1.disconnect()
    await tab2.disconnect()
