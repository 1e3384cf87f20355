"""Machine translation for agents through the real engine (the tiny test model writes noise,
so these tests check the path and the records, not the quality)."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async

from inference_worker.translating import translation_prompt
from supportbot.agents.models import MessageTranslation
from supportbot.agents.translation import language_of
from supportbot.chat.models import Actor, Message
from supportbot.serving.models import GenerationRecord
from tests.agents.conftest import escalated_chat, receive_type
from tests.chat.helpers import receive_until, send_message

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_agent_language_comes_from_accept_language():
    assert language_of("de-CH,de;q=0.9,en;q=0.8") == "de"
    assert language_of("") == "en" and language_of("*") == "en"


def test_a_base_model_prompt_ends_where_the_translation_starts(tiny_moe):
    prompt = translation_prompt(
        tiny_moe.tokenizer, "Wo ist\nmein Paket?", source="de", target="en", instruct=False
    )
    assert prompt.text.endswith("German: Wo ist mein Paket?\nEnglish:")
    assert prompt.stop_strings == ("\n",)


async def test_customer_messages_are_translated_for_the_agent_and_replies_for_the_customer(
    conversation_factory, connect, agent_factory, console
):
    agent = await database_sync_to_async(agent_factory)("tran")
    agent_ws, _ = await console(agent, accept_language="en-US,en;q=0.9")
    hello = await agent_ws.receive_json_from(timeout=10)
    assert hello["language"] == "en" and hello["translation"] is True

    conversation, _token, ws = await escalated_chat(conversation_factory, connect, locale="de")
    public_id = str(conversation.public_id)
    await send_message(ws, "Mein Paket ist seit zwei Wochen unterwegs.")
    await receive_until(ws, "ack")

    await agent_ws.send_json_to({"type": "open", "conversation": public_id})
    frames = await receive_type(agent_ws, "translation", timeout=120)
    translated = frames[-1]
    assert translated["seq"] == 1 and translated["language"] == "en"
    assert translated["machine_translated"] is True and translated["text"]
    kept = await database_sync_to_async(
        lambda: list(MessageTranslation.objects.values_list("language", "text", "source"))
    )()
    assert kept == [("en", translated["text"], False)]
    # Opened again: the kept translation, not a new generation.
    await agent_ws.send_json_to({"type": "open", "conversation": public_id})
    again = (await receive_type(agent_ws, "translation", timeout=60))[-1]
    assert again["text"] == translated["text"]
    # What it cost is on record, once, tagged with its purpose and variant.
    records = await database_sync_to_async(
        lambda: list(
            GenerationRecord.objects.filter(conversation=conversation).values_list(
                "purpose", "variant", "completion_tokens"
            )
        )
    )()
    assert [(p, v) for p, v, _tokens in records] == [("translation", "default")]
    assert records[0][2] > 0

    await agent_ws.send_json_to({"type": "claim", "conversation": public_id})
    await receive_type(agent_ws, "claimed")
    original = "Sorry for the wait, I am checking it now."
    await agent_ws.send_json_to(
        {"type": "send", "conversation": public_id, "client_id": str(uuid.uuid4()),
         "text": original, "translate": True}
    )  # fmt: skip
    to_customer = (await receive_until(ws, "message", timeout=120))[-1]
    assert to_customer["role"] == "agent" and to_customer["machine_translated"] is True
    assert to_customer["text"] and to_customer["text"] != original

    def stored():
        message = Message.objects.get(conversation=conversation, role=Actor.AGENT)
        source = MessageTranslation.objects.get(message=message)
        return message.text, message.machine_translated, source.text, source.source

    text, flagged, source_text, is_source = await database_sync_to_async(stored)()
    assert (text, flagged) == (to_customer["text"], True)
    assert (source_text, is_source) == (original, True)


async def test_the_bot_drafts_a_reply_only_the_agent_sees(
    conversation_factory, connect, agent_factory, console
):
    agent = await database_sync_to_async(agent_factory)("drafter")
    agent_ws, _ = await console(agent)
    conversation, _token, ws = await escalated_chat(conversation_factory, connect)
    public_id = str(conversation.public_id)
    await send_message(ws, "How long does shipping take?")
    await receive_until(ws, "ack")
    await agent_ws.send_json_to({"type": "suggest", "conversation": public_id})
    suggestion = (await receive_type(agent_ws, "suggestion", timeout=120))[-1]
    assert suggestion["conversation"] == public_id and suggestion["text"]
    # A draft is neither stored nor shown to the customer.
    assert await ws.receive_nothing(timeout=1)
    count = await database_sync_to_async(
        Message.objects.filter(conversation=conversation, role=Actor.BOT).count
    )()
    assert count == 0


async def test_a_translated_reply_and_a_plain_one_after_it_arrive_in_order(
    conversation_factory, connect, agent_factory, console
):
    from tests.agents.conftest import open_and_claim

    agent = await database_sync_to_async(agent_factory)("orderly")
    agent_ws, _ = await console(agent, accept_language="en")
    conversation, _token, ws = await escalated_chat(conversation_factory, connect, locale="de")
    public_id = str(conversation.public_id)
    await open_and_claim(agent_ws, public_id)
    for text, translate in (("First, translated.", True), ("Second, as written.", False)):
        await agent_ws.send_json_to(
            {"type": "send", "conversation": public_id, "client_id": str(uuid.uuid4()),
             "text": text, "translate": translate}
        )  # fmt: skip
    got = []
    while len(got) < 2:
        frame = await ws.receive_json_from(timeout=120)
        if frame["type"] == "message":
            got.append(frame)
    assert [f.get("machine_translated", False) for f in got] == [True, False]
    assert got[1]["text"] == "Second, as written." and got[0]["seq"] < got[1]["seq"]
