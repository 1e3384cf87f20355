"""From the bot to a person and back, over real sockets: the customer's widget socket and the
agent's console socket, through the full ASGI stack and the real database."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async

from supportbot.agents.models import CannedResponse, InternalNote
from supportbot.chat.models import Conversation, ConversationEvent, CsatResponse, Message
from tests.agents.conftest import escalated_chat, open_and_claim, receive_type
from tests.chat.helpers import receive_reply, receive_until, send_message

pytestmark = pytest.mark.django_db(transaction=True)


def state_changes(conversation) -> list[tuple[str, str, str]]:
    return list(
        ConversationEvent.objects.filter(
            conversation=conversation, kind=ConversationEvent.Kind.STATE_CHANGED
        ).values_list("from_state", "to_state", "reason")
    )


def kinds(conversation) -> list[str]:
    return list(
        ConversationEvent.objects.filter(conversation=conversation).values_list("kind", flat=True)
    )


async def test_a_person_takes_over_answers_and_resolves_then_csat_is_stored_once(
    conversation_factory, connect, agent_factory, console
):
    anna = await database_sync_to_async(agent_factory)("anna", first_name="Anna")
    await database_sync_to_async(CannedResponse.objects.create)(
        language="de", title="Test: Prüfung", text="Ich prüfe das gerade für Sie."
    )
    await database_sync_to_async(CannedResponse.objects.create)(
        language="en", title="Test: Checking", text="I'm checking this for you now."
    )
    agent_ws, ok = await console(anna)
    assert ok
    hello = await agent_ws.receive_json_from(timeout=10)
    assert hello["type"] == "hello" and hello["user"] == "anna"
    assert (await agent_ws.receive_json_from(timeout=10))["type"] == "queue"

    conversation, token = await database_sync_to_async(conversation_factory)(locale="de")
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "escalate"})
    handoff = await ws.receive_json_from(timeout=10)
    assert handoff["type"] == "handoff" and handoff["state"] == "waiting_agent"
    assert handoff["reason"] == "customer_button" and handoff["agents_online"] is True
    assert "Team" in handoff["notice"]  # German, the conversation's language

    public_id = str(conversation.public_id)
    frames = await receive_type(agent_ws, "queue")
    [item] = [i for i in frames[-1]["items"] if i["conversation"] == public_id]
    assert item["state"] == "waiting_agent" and item["reason"] == "customer_button"
    assert item["first_response_due"] > item["escalated_at"]

    # The bot stays silent once people have the conversation.
    await send_message(ws, "Wo bleibt mein Paket?")
    await receive_until(ws, "ack")
    assert await ws.receive_nothing(timeout=2)

    await agent_ws.send_json_to({"type": "open", "conversation": public_id})
    detail = (await receive_type(agent_ws, "conversation"))[-1]
    assert [m["text"] for m in detail["messages"]] == ["Wo bleibt mein Paket?"]
    # Canned answers in the conversation's language only.
    canned = {c["title"]: c["text"] for c in detail["canned"]}
    assert canned["Test: Prüfung"] == "Ich prüfe das gerade für Sie."
    assert "Test: Checking" not in canned

    await agent_ws.send_json_to({"type": "claim", "conversation": public_id})
    await receive_type(agent_ws, "claimed", conversation=public_id)
    joined = await receive_until(ws, "handoff")
    assert joined[-1]["state"] == "agent" and joined[-1]["agent"] == "Anna"

    # Both ways, in order.
    await agent_ws.send_json_to(
        {"type": "send", "conversation": public_id, "client_id": str(uuid.uuid4()),
         "text": "Hallo, ich bin Anna. Ich schaue nach."}
    )  # fmt: skip
    to_customer = (await receive_until(ws, "message"))[-1]
    assert to_customer["role"] == "agent" and to_customer["author"] == "Anna"
    assert to_customer["text"] == "Hallo, ich bin Anna. Ich schaue nach."
    await send_message(ws, "Danke!")
    to_agent = await receive_type(agent_ws, "message", role="customer", text="Danke!")
    assert to_agent[-1]["conversation"] == public_id

    # An internal note reaches agents, never the customer.
    await agent_ws.send_json_to(
        {"type": "note", "conversation": public_id, "text": "Kunde wartet seit Montag"}
    )
    await receive_type(agent_ws, "note", text="Kunde wartet seit Montag")
    await agent_ws.send_json_to({"type": "resolve", "conversation": public_id})
    customer_frames = await receive_until(ws, "csat.request")
    assert all("Montag" not in str(f) for f in customer_frames)
    assert [f["state"] for f in customer_frames if f["type"] == "handoff"] == ["resolved"]
    assert customer_frames[-1]["question"]

    await ws.send_json_to({"type": "csat", "rating": 4, "comment": "schnell"})
    saved = (await receive_until(ws, "csat.saved"))[-1]
    assert saved["rating"] == 4
    await ws.send_json_to({"type": "csat", "rating": 1})
    again = (await receive_until(ws, "error"))[-1]
    assert again["code"] == "csat_already_given"

    def check_database():
        conversation.refresh_from_db()
        assert conversation.state == Conversation.State.RESOLVED
        csat = CsatResponse.objects.get(conversation=conversation)
        assert (csat.rating, csat.comment, csat.handled_by) == (4, "schnell", "human")
        assert InternalNote.objects.filter(conversation=conversation).count() == 1
        roles = list(
            Message.objects.filter(conversation=conversation).values_list("role", flat=True)
        )
        assert roles == ["customer", "agent", "customer"]
        assert state_changes(conversation) == [
            ("bot", "waiting_agent", "customer_button"),
            ("waiting_agent", "agent", "claimed"),
            ("agent", "resolved", "agent_resolved"),
        ]
        logged = kinds(conversation)
        for kind in ("first_response", "csat_requested", "csat_recorded"):
            assert logged.count(kind) == 1, (kind, logged)
        assert conversation.first_response_at is not None

    await database_sync_to_async(check_database)()


async def test_with_nobody_online_the_customer_leaves_contact_details(
    conversation_factory, connect
):
    conversation, token = await database_sync_to_async(conversation_factory)(locale="en")
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "escalate"})
    handoff = await ws.receive_json_from(timeout=10)
    assert handoff["agents_online"] is False and "email" in handoff["notice"]
    await ws.send_json_to({"type": "contact", "email": "not-an-address"})
    assert (await ws.receive_json_from(timeout=10))["code"] == "invalid_contact"
    await ws.send_json_to({"type": "contact", "name": "Jo", "email": "jo@example.org"})
    assert (await ws.receive_json_from(timeout=10))["type"] == "contact.saved"
    await database_sync_to_async(conversation.refresh_from_db)()
    assert conversation.contact == {"name": "Jo", "email": "jo@example.org"}
    assert conversation.state == Conversation.State.WAITING_AGENT


async def test_csat_before_resolution_is_refused(conversation_factory, connect):
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "csat", "rating": 5})
    assert (await ws.receive_json_from(timeout=10))["code"] == "csat_not_open"
    assert not await database_sync_to_async(CsatResponse.objects.exists)()


async def test_a_handed_back_conversation_gets_bot_replies_again(
    conversation_factory, connect, agent_factory, console
):
    bo = await database_sync_to_async(agent_factory)("bo")
    agent_ws, _ = await console(bo)
    conversation, _token, ws = await escalated_chat(conversation_factory, connect)
    public_id = str(conversation.public_id)
    await open_and_claim(agent_ws, public_id)
    await agent_ws.send_json_to({"type": "handback", "conversation": public_id})
    frames = await receive_until(ws, "handoff")
    frames = frames if frames[-1]["state"] == "bot" else await receive_until(ws, "handoff")
    assert frames[-1]["state"] == "bot" and frames[-1]["reason"] == "handed_back"
    await send_message(ws, "How long does shipping take?")
    _deltas, done = await receive_reply(ws)
    assert done["seq"] is not None


async def test_resume_tells_a_returning_widget_who_has_the_chat_and_asks_for_csat(
    conversation_factory, connect, agent_factory, console
):
    cy = await database_sync_to_async(agent_factory)("cy", first_name="Cy")
    agent_ws, _ = await console(cy)
    conversation, token, ws = await escalated_chat(conversation_factory, connect)
    public_id = str(conversation.public_id)
    await ws.disconnect()
    await open_and_claim(agent_ws, public_id)
    await agent_ws.send_json_to({"type": "resolve", "conversation": public_id})
    await receive_type(agent_ws, "state", state="resolved")

    ws2, _ = await connect(conversation, token)
    await ws2.send_json_to({"type": "resume", "after_seq": 0})
    frames = await receive_until(ws2, "csat.request")
    assert [f["type"] for f in frames][-3:] == ["resume.done", "handoff", "csat.request"]
    assert frames[-2]["state"] == "resolved"


async def test_messages_relay_both_ways_in_order(
    conversation_factory, connect, agent_factory, console
):
    dee = await database_sync_to_async(agent_factory)("dee", first_name="Dee")
    agent_ws, _ = await console(dee)
    conversation, _token, ws = await escalated_chat(conversation_factory, connect)
    public_id = str(conversation.public_id)
    await open_and_claim(agent_ws, public_id)
    await receive_until(ws, "handoff")

    for i in range(5):
        await agent_ws.send_json_to(
            {"type": "send", "conversation": public_id, "client_id": str(uuid.uuid4()),
             "text": f"agent line {i}"}
        )  # fmt: skip
    got = []
    while len(got) < 5:
        frame = await ws.receive_json_from(timeout=30)
        if frame["type"] == "message":
            got.append(frame)
    assert [f["text"] for f in got] == [f"agent line {i}" for i in range(5)]
    assert [f["seq"] for f in got] == sorted(f["seq"] for f in got)

    for i in range(5):
        await send_message(ws, f"customer line {i}")
    seen = []
    while len(seen) < 5:
        frame = await agent_ws.receive_json_from(timeout=30)
        if frame["type"] == "message" and frame["role"] == "customer":
            seen.append(frame["text"])
    assert seen == [f"customer line {i}" for i in range(5)]
