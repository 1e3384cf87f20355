"""Drafts and translations for agents written by a real Celery worker of the conversation's
variant and sent back to the asking console over the real Redis channel layer."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from supportbot.agents.models import MessageTranslation
from tests.agents.conftest import make_user, receive_type
from tests.chat.helpers import receive_until, send_message
from tests.workers.test_worker_replies import on_variant

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_worker_translates_for_the_agent_and_drafts_a_reply(
    worker_stack, conversation_factory, connect, console
):
    await database_sync_to_async(worker_stack.start_worker)("gamma")
    agent = await database_sync_to_async(make_user)("wendy")
    agent_ws, connected = await console(agent, accept_language="en")
    assert connected
    conversation, token = await database_sync_to_async(conversation_factory)(locale="de")
    await database_sync_to_async(on_variant)(conversation, "gamma")
    public_id = str(conversation.public_id)
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "escalate"})
    await receive_until(ws, "handoff")
    await send_message(ws, "Die Lieferung ist beschädigt angekommen.")
    await receive_until(ws, "ack")

    await agent_ws.send_json_to({"type": "open", "conversation": public_id})
    translated = (await receive_type(agent_ws, "translation", timeout=90))[-1]
    assert translated["seq"] == 1 and translated["language"] == "en" and translated["text"]
    kept = await database_sync_to_async(
        lambda: MessageTranslation.objects.get(message__conversation=conversation).text
    )()
    assert kept == translated["text"]

    await agent_ws.send_json_to({"type": "suggest", "conversation": public_id})
    suggestion = (await receive_type(agent_ws, "suggestion", timeout=90))[-1]
    assert suggestion["conversation"] == public_id and suggestion["text"]
