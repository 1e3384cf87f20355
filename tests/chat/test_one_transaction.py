"""The customer's message and the bot-or-person decision commit together, or not at all."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from supportbot.chat.models import Message
from supportbot.chat.signals import customer_message_stored
from tests.chat.helpers import send_message

pytestmark = pytest.mark.django_db(transaction=True)


class DecisionFails(Exception):
    pass


async def test_a_failed_decision_stores_nothing_and_the_widget_may_resend(
    conversation_factory, connect
):
    def fail(sender, **kwargs):
        raise DecisionFails("the ticket side is broken")

    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    customer_message_stored.connect(fail, dispatch_uid="test.fail")
    try:
        client_id = await send_message(ws, "Where is my order?")
        frame = await ws.receive_json_from(timeout=30)
    finally:
        customer_message_stored.disconnect(dispatch_uid="test.fail")
    assert (frame["type"], frame["code"], frame["client_id"]) == ("error", "unavailable", client_id)
    count = await database_sync_to_async(Message.objects.filter(conversation=conversation).count)()
    assert count == 0  # no ack, nothing stored: the resend below is the first copy

    await send_message(ws, "Where is my order?", client_id=client_id)
    assert (await ws.receive_json_from(timeout=30))["type"] == "ack"
    await ws.disconnect()
