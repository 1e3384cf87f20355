"""The figures of conversations driven the way the maintainers drive them: the customer's
widget socket and the agent's console socket through the full ASGI stack, the embedded engine
answering, then the admin's JSON read over HTTP. No service is called directly."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.test import Client
from django.utils import timezone

from supportbot.chat.models import Message
from tests.agents.conftest import make_user, receive_type
from tests.analytics.history import load_some_articles
from tests.chat.helpers import receive_reply, receive_until, send_message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_api_counts_what_happened_on_the_sockets(
    conversation_factory, connect, console, tmp_path
):
    await database_sync_to_async(load_some_articles)(tmp_path / "kb")
    anna = await database_sync_to_async(make_user)("anna", first_name="Anna")
    agent_ws, ok = await console(anna)
    assert ok

    # A bot-only chat the customer closes and rates 5.
    solved, token = await database_sync_to_async(conversation_factory)(visitor="v1")
    ws, _ = await connect(solved, token)
    await send_message(ws, "How long does shipping take?")
    await receive_reply(ws)
    await ws.send_json_to({"type": "resolve"})
    await receive_until(ws, "csat.request")
    await ws.send_json_to({"type": "csat", "rating": 5})
    await receive_until(ws, "csat.saved")

    # Answered by the bot, handed to Anna with the button, resolved by her, rated 4.
    handed, token = await database_sync_to_async(conversation_factory)(visitor="v2")
    ws2, _ = await connect(handed, token)
    await send_message(ws2, "How long does shipping take?")
    await receive_reply(ws2)
    await ws2.send_json_to({"type": "escalate"})
    await receive_until(ws2, "handoff")
    public_id = str(handed.public_id)
    await agent_ws.send_json_to({"type": "claim", "conversation": public_id})
    await receive_type(agent_ws, "claimed", conversation=public_id)
    await agent_ws.send_json_to(
        {"type": "send", "conversation": public_id, "client_id": str(uuid.uuid4()),
         "text": "Hello, Anna here. Let me check."}
    )  # fmt: skip
    await receive_until(ws2, "message")
    await agent_ws.send_json_to({"type": "resolve", "conversation": public_id})
    await receive_until(ws2, "csat.request")
    await ws2.send_json_to({"type": "csat", "rating": 4})
    await receive_until(ws2, "csat.saved")

    # Still open: one question, answered.
    still_open, token = await database_sync_to_async(conversation_factory)(visitor="v3")
    ws3, _ = await connect(still_open, token)
    await send_message(ws3, "How much does shipping cost?")
    await receive_reply(ws3)
    # A widget opened and never used: not counted.
    await database_sync_to_async(conversation_factory)(visitor="v4")

    def read_summary() -> tuple[dict, int]:
        admin = Client()
        admin.force_login(make_user("lee", role="admin"))
        today = timezone.now()
        window = {"from": (today - timedelta(days=1)).date().isoformat(),
                  "to": (today + timedelta(days=1)).date().isoformat()}  # fmt: skip
        normal = Message.objects.filter(role="bot", finish_reason__in=("stop", "length"))
        return admin.get("/dashboard/api/summary", window).json(), normal.count()

    summary, normal_replies = await database_sync_to_async(read_summary)()
    assert summary["conversations"] == 3
    assert summary["escalation_rate"]["numerator"] == 1
    assert summary["escalation_rate"]["by_reason"] == {"customer_button": 1}
    assert summary["escalation_rate"]["before_bot_reply"]["numerator"] == 0
    contained = summary["containment_rate"]
    assert (contained["numerator"], contained["denominator"], contained["open"]) == (1, 2, 1)
    csat = summary["csat"]
    assert (csat["mean"], csat["responses"], csat["requested"]) == (4.5, 2, 2)
    assert csat["by_segment"]["human"]["mean"] == 4.0
    assert csat["by_segment"]["bot_only"]["mean"] == 5.0
    assert summary["first_human_response_s"]["n"] == 1
    assert summary["first_human_response_s"]["unanswered"] == 0
    assert summary["wait_to_claim_s"]["n"] == 1
    assert summary["handling_time_s"]["bot_only"]["n"] == 1
    assert summary["handling_time_s"]["escalated"]["n"] == 1
    assert summary["agent_handling_s"]["n"] == 1
    assert normal_replies == 3  # the model answered each question
    assert summary["bot_response_ms"]["complete"]["n"] == normal_replies
    assert summary["safety"]["customer_messages"] == 3
