"""A bot conversation ends when the customer says it is solved or after an idle timeout;
both are asked for CSAT, attributed to the bot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.utils import timezone

from supportbot.chat.models import Conversation, ConversationEvent, CsatResponse
from tests.chat.helpers import receive_reply, receive_until, send_message

pytestmark = pytest.mark.django_db(transaction=True)


async def test_the_customer_ends_a_bot_chat_and_rates_the_bot(conversation_factory, connect):
    conversation, token = await database_sync_to_async(conversation_factory)(locale="fr")
    ws, _ = await connect(conversation, token)
    await send_message(ws, "Combien de temps prend la livraison ?")
    await receive_reply(ws)
    await ws.send_json_to({"type": "resolve"})
    frames = await receive_until(ws, "csat.request")
    assert frames[0]["type"] == "handoff" and frames[0]["state"] == "resolved"
    assert frames[0]["reason"] == "customer_resolved"
    assert "Comment" in frames[-1]["question"]  # French, the conversation's language
    await ws.send_json_to({"type": "csat", "rating": 5})
    await receive_until(ws, "csat.saved")
    csat = await database_sync_to_async(CsatResponse.objects.get)(conversation=conversation)
    assert csat.handled_by == "bot"
    # A resolved conversation takes no more messages.
    await send_message(ws, "Merci !")
    assert (await receive_until(ws, "error"))[-1]["code"] == "conversation_closed"


async def test_a_customer_cannot_end_a_chat_a_person_has(conversation_factory, connect):
    from supportbot.agents import services
    from tests.agents.conftest import make_user

    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "escalate"})
    await receive_until(ws, "handoff")
    agent = await database_sync_to_async(make_user)("keeper")
    await database_sync_to_async(services.claim)(str(conversation.public_id), agent)
    await ws.send_json_to({"type": "resolve"})
    assert (await receive_until(ws, "error"))[-1]["code"] == "cannot_resolve"
    await database_sync_to_async(conversation.refresh_from_db)()
    assert conversation.state == Conversation.State.AGENT


def test_idle_bot_chats_are_resolved_and_busy_ones_are_not(conversation_factory):
    from supportbot.chat import services

    idle, _ = conversation_factory(visitor="idle")
    busy, _ = conversation_factory(visitor="busy")
    never, _ = conversation_factory(visitor="never")  # opened, never written in
    import uuid

    for conversation in (idle, busy):
        services.receive_customer_message(conversation.pk, client_id=uuid.uuid4(), text="hi")
    long_ago = timezone.now() - timedelta(hours=2)
    Conversation.objects.filter(pk__in=[idle.pk, never.pk]).update(updated_at=long_ago)
    call_command("close_idle_conversations", "--after-minutes", "30")
    states = dict(Conversation.objects.values_list("visitor_id", "state"))
    assert states == {"idle": "resolved", "busy": "bot", "never": "bot"}
    event = ConversationEvent.objects.get(conversation=idle, to_state="resolved")
    assert (event.reason, event.actor) == ("idle_timeout", "system")
