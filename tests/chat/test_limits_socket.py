"""Refusals on the customer socket say how long to wait (``retry_after``, seconds)."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from tests.chat.helpers import send_message

pytestmark = pytest.mark.django_db(transaction=True)


async def first_error(ws) -> dict:
    while True:
        frame = await ws.receive_json_from(timeout=30)
        if frame["type"] == "error":
            return frame


async def test_a_refused_message_carries_its_client_id_and_the_wait(
    settings, conversation_factory, connect
):
    settings.SUPPORTBOT = {
        **settings.SUPPORTBOT,
        "RATE_LIMIT_MESSAGES": 1,
        "RATE_LIMIT_WINDOW_S": 10.0,
    }
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "escalate"})  # spends the one unit: writes, shares the budget
    client_id = await send_message(ws, "hello?")
    error = await first_error(ws)
    assert error["code"] == "rate_limited" and error["client_id"] == client_id
    assert isinstance(error["retry_after"], int) and 1 <= error["retry_after"] <= 20
    await ws.disconnect()


async def test_a_refused_resume_carries_the_wait(settings, conversation_factory, connect):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "RATE_LIMIT_RESUMES": 1}
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "resume", "after_seq": 0})
    assert (await ws.receive_json_from(timeout=10))["type"] == "resume.done"
    await ws.send_json_to({"type": "resume", "after_seq": 0})
    error = await first_error(ws)
    assert error["code"] == "rate_limited" and "client_id" not in error
    assert isinstance(error["retry_after"], int) and 1 <= error["retry_after"] <= 120
    await ws.disconnect()
