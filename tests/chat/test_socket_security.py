"""Who may open a socket, and what happens to bad frames: a clear error, nothing stored."""

from __future__ import annotations

import json
import uuid

import pytest
from asgiref.sync import sync_to_async

from supportbot.chat.models import Message
from tests.chat.helpers import send_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def message_count(conversation) -> int:
    return Message.objects.filter(conversation=conversation).count()


async def test_other_conversations_token_is_refused(conversation_factory, connect):
    mine, _my_token = await sync_to_async(conversation_factory)(visitor="me")
    _theirs, their_token = await sync_to_async(conversation_factory)(visitor="them")
    _, connected = await connect(mine, their_token)
    assert not connected


@pytest.mark.parametrize("token", ["", "not-the-token", "A" * 22])
async def test_missing_or_wrong_token_is_refused(conversation_factory, connect, token):
    conversation, _ = await sync_to_async(conversation_factory)()
    _, connected = await connect(conversation, token)
    assert not connected


async def test_unknown_conversation_is_refused(conversation_factory, connect):
    _, token = await sync_to_async(conversation_factory)()
    _, connected = await connect(path=f"/ws/chat/{uuid.uuid4()}/?token={token}")
    assert not connected


async def test_socket_from_a_foreign_origin_is_refused(conversation_factory, connect):
    conversation, token = await sync_to_async(conversation_factory)()
    _, connected = await connect(conversation, token, origin="https://evil.example")
    assert not connected


async def test_socket_from_a_configured_widget_origin_is_accepted(
    conversation_factory, connect, settings
):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "WIDGET_ORIGINS": ["https://shop.example"]}
    conversation, token = await sync_to_async(conversation_factory)()
    ws, connected = await connect(conversation, token, origin="https://shop.example")
    assert connected
    await ws.disconnect()


BAD_FRAMES = [
    ("not json at all", "invalid_json"),
    ("[1, 2, 3]", "invalid_json"),
    (json.dumps({"text": "hi"}), "unknown_type"),
    (json.dumps({"type": "shout", "text": "hi"}), "unknown_type"),
    (json.dumps({"type": "message", "text": "hi"}), "missing_field"),
    (json.dumps({"type": "message", "client_id": str(uuid.uuid4())}), "missing_field"),
    (json.dumps({"type": "message", "client_id": "nope", "text": "hi"}), "invalid_field"),
    (json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "text": 5}), "invalid_field"),
    (
        json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "text": "   \n"}),
        "empty_text",
    ),
    (
        json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "text": "x" * 4001}),
        "text_too_long",
    ),
    (
        json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "text": "y" * 70000}),
        "frame_too_large",
    ),
    (
        json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "text": "\x00\x01 \x02"}),
        "empty_text",
    ),
    (
        json.dumps({"type": "message", "client_id": str(uuid.uuid4()), "text": "\ud800"}),
        "invalid_field",
    ),
    (json.dumps({"type": "resume"}), "missing_field"),
    (json.dumps({"type": "resume", "after_seq": -1}), "invalid_field"),
    (json.dumps({"type": "resume", "after_seq": "3"}), "invalid_field"),
    (json.dumps({"type": "resume", "after_seq": True}), "invalid_field"),
]


@pytest.mark.parametrize(("raw", "code"), BAD_FRAMES)
async def test_bad_frames_get_a_coded_error_and_store_nothing(
    conversation_factory, connect, raw, code
):
    conversation, token = await sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await ws.send_to(text_data=raw)
    frame = await ws.receive_json_from(timeout=10)
    assert frame["type"] == "error" and frame["code"] == code and frame["detail"]
    assert await sync_to_async(message_count)(conversation) == 0
    # The socket stays usable after a bad frame.
    await ws.send_json_to({"type": "resume", "after_seq": 0})
    assert (await ws.receive_json_from(timeout=10))["type"] == "resume.done"
    await ws.disconnect()


async def test_binary_frames_are_refused(conversation_factory, connect):
    conversation, token = await sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await ws.send_to(bytes_data=b"\x00\x01")
    assert (await ws.receive_json_from(timeout=10))["code"] == "invalid_json"
    await ws.disconnect()


async def test_exactly_4000_characters_is_accepted(conversation_factory, connect):
    conversation, token = await sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await send_message(ws, "z" * 4000)
    # Patient: when this is the process's first message, the ack waits for the safety
    # classifier to load (about 10 s on a loaded 2-core machine).
    assert (await ws.receive_json_from(timeout=60))["type"] == "ack"
    await ws.disconnect()


async def test_more_than_ten_messages_in_ten_seconds_are_rate_limited(
    conversation_factory, connect
):
    conversation, token = await sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    sent = [await send_message(ws, f"message {i}") for i in range(11)]
    acks, errors = {}, {}
    while len(acks) + len(errors) < 11:
        frame = await ws.receive_json_from(timeout=60)
        if frame["type"] == "ack":
            acks[frame["client_id"]] = frame
        elif frame["type"] == "error":
            errors[frame["client_id"]] = frame
    assert list(acks) == sent[:10]
    assert errors[sent[10]]["code"] == "rate_limited"
    assert await sync_to_async(message_count)(conversation) >= 10
    customer_rows = await sync_to_async(
        lambda: Message.objects.filter(conversation=conversation, role="customer").count()
    )()
    assert customer_rows == 10
    await ws.disconnect()


async def test_a_resolved_conversation_takes_no_more_messages(conversation_factory, connect):
    conversation, token = await sync_to_async(conversation_factory)()
    await sync_to_async(conversation.transition)("resolved", actor="system", reason="test")
    ws, _ = await connect(conversation, token)
    client_id = await send_message(ws, "Hello again")
    frame = await ws.receive_json_from(timeout=10)
    assert frame["type"] == "error" and frame["code"] == "conversation_closed"
    assert frame["client_id"] == client_id
    assert await sync_to_async(message_count)(conversation) == 0
    await ws.disconnect()
