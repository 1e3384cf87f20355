"""Personal data wherever the conversation goes (docs/safety.md): agents' messages and CSAT
comments are stored with a redacted copy, as customers' messages are; the engine sees only
placeholders in prompts, drafts and translations; and what it writes for agents passes the
output guard before an agent reads it.

The engine is the embedded dispatcher serving scripted words (``ScriptedEngine``): every
prompt it gets is on record, and what it "writes" is fixed. The rest is the real stack."""

from __future__ import annotations

import importlib
import uuid

import pytest
from channels.db import database_sync_to_async

from supportbot.agents.models import MessageTranslation
from supportbot.chat import csat
from supportbot.chat.dispatching import get_dispatcher, reset_dispatcher
from supportbot.chat.models import Actor, Conversation, CsatResponse, Message
from supportbot.chat.prompts import build_reply_job
from supportbot.safety.models import SafetyEvent
from supportbot.safety.redaction import hide_personal_data
from tests.agents.conftest import escalated_chat, open_and_claim, receive_type
from tests.chat.helpers import receive_until, send_message
from tests.serving.scripted import ScriptedEngine

pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMER_EMAIL = "ann.lee@example.com"
AGENT_PHONE = "+49 30 12345678"
AGENT_EMAIL = "bob.agent@example.com"
CARD = "4111 1111 1111 1111"
SECRETS = (CUSTOMER_EMAIL, "12345678", AGENT_EMAIL, "4111")


@pytest.fixture
def scripted(tiny_moe):
    """The embedded dispatcher's engine, answering every request with ``engine.pieces``."""
    reset_dispatcher()
    engine = ScriptedEngine(tiny_moe.tokenizer, ["Ich rufe Sie unter [PHONE] an."])
    get_dispatcher().install_engine("default", engine)
    yield engine
    reset_dispatcher()


@pytest.fixture
def output_guard(settings):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "OUTPUT_GUARD": True}


def send_frame(public_id: str, text: str, **extra) -> dict:
    return {
        "type": "send",
        "conversation": public_id,
        "client_id": str(uuid.uuid4()),
        "text": text,
        **extra,
    }


async def open_and_translate(agent_ws, public_id: str) -> dict:
    """Open the conversation in the console; the first message's translation frame."""
    await agent_ws.send_json_to({"type": "open", "conversation": public_id})
    return (await receive_type(agent_ws, "translation", timeout=60))[-1]


async def claim(agent_ws, public_id: str) -> None:
    await agent_ws.send_json_to({"type": "claim", "conversation": public_id})
    await receive_type(agent_ws, "claimed")


def messages(conversation, role: str) -> list[Message]:
    return list(Message.objects.filter(conversation=conversation, role=role).order_by("seq"))


def safety_events(conversation) -> list[SafetyEvent]:
    return list(SafetyEvent.objects.filter(conversation=conversation).order_by("id"))


def test_a_translation_gets_the_hidden_values_back_only_when_its_placeholders_match():
    redaction = hide_personal_data(f"Call {AGENT_PHONE} or mail {AGENT_EMAIL}, or {CARD}")
    assert redaction.text == "Call [PHONE] or mail [EMAIL], or [CARD]"
    assert redaction.stored == redaction.text
    restored = redaction.restore("Schreiben Sie an [EMAIL], rufen Sie [PHONE] an; Karte [CARD]")
    assert restored == f"Schreiben Sie an {AGENT_EMAIL}, rufen Sie {AGENT_PHONE} an; Karte {CARD}"
    assert redaction.restore("Rufen Sie [PHONE] an") is None  # the email would be lost
    assert hide_personal_data("Nothing personal here.").stored == ""


async def test_an_agent_message_is_stored_with_a_redacted_copy_and_read_as_written(
    conversation_factory, connect, agent_factory, console
):
    agent = await database_sync_to_async(agent_factory)("pia")
    agent_ws, _ = await console(agent)
    conversation, _token, ws = await escalated_chat(conversation_factory, connect)
    public_id = str(conversation.public_id)
    await open_and_claim(agent_ws, public_id)

    text = f"Call me on {AGENT_PHONE} or write to {AGENT_EMAIL}; card {CARD} is noted."
    await agent_ws.send_json_to(send_frame(public_id, text))
    to_customer = (await receive_until(ws, "message"))[-1]
    assert to_customer["role"] == "agent" and to_customer["text"] == text
    echoed = (await receive_type(agent_ws, "message", role="agent"))[-1]
    assert echoed["text"] == text  # the agents handling the chat read the original

    [message] = await database_sync_to_async(messages)(conversation, Actor.AGENT)
    assert message.text == text
    assert message.redacted_text == "Call me on [PHONE] or write to [EMAIL]; card [CARD] is noted."
    assert message.model_text == message.redacted_text


async def test_a_csat_comment_is_kept_with_personal_data_hidden(conversation_factory, connect):
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "resolve"})
    await receive_until(ws, "csat.request")
    comment = f"Quick! Call me back on {AGENT_PHONE} or mail {CUSTOMER_EMAIL}"
    await ws.send_json_to({"type": "csat", "rating": 2, "comment": comment})
    await receive_until(ws, "csat.saved")

    response = await database_sync_to_async(CsatResponse.objects.get)(conversation=conversation)
    assert response.comment == comment
    assert response.redacted_comment == "Quick! Call me back on [PHONE] or mail [EMAIL]"
    assert response.shared_comment == response.redacted_comment
    plain = await database_sync_to_async(
        lambda: csat.record_csat(make_resolved(conversation_factory), rating=5, comment="Top!")
    )()
    assert (plain.redacted_comment, plain.shared_comment) == ("", "Top!")


def make_resolved(conversation_factory) -> int:
    from django.db import transaction

    conversation, _token = conversation_factory(visitor="visitor-2")
    with transaction.atomic():
        conversation.transition(Conversation.State.RESOLVED, actor=Actor.SYSTEM)
    return conversation.pk


async def test_prompts_drafts_and_translations_see_personal_data_only_as_placeholders(
    scripted, conversation_factory, connect, agent_factory, console
):
    agent = await database_sync_to_async(agent_factory)("paul")
    agent_ws, _ = await console(agent, accept_language="en")
    conversation, _token, ws = await escalated_chat(conversation_factory, connect, locale="de")
    public_id = str(conversation.public_id)
    await send_message(ws, f"Mein Paket fehlt. Meine E-Mail ist {CUSTOMER_EMAIL}")
    await receive_until(ws, "ack")

    # Opened: the customer's message is translated for the agent from its redacted copy.
    await open_and_translate(agent_ws, public_id)
    await claim(agent_ws, public_id)

    # Sent translated: the engine gets the placeholder, the customer the agent's number.
    await agent_ws.send_json_to(
        send_frame(public_id, f"I will call you on {AGENT_PHONE}.", translate=True)
    )
    translated = (await receive_until(ws, "message", timeout=60))[-1]
    assert translated["text"] == f"Ich rufe Sie unter {AGENT_PHONE} an."
    assert translated["machine_translated"] is True
    await agent_ws.send_json_to(send_frame(public_id, f"Or write to {AGENT_EMAIL}, card {CARD}"))
    await receive_until(ws, "message")
    stored = await database_sync_to_async(messages)(conversation, Actor.AGENT)
    assert [m.redacted_text for m in stored] == [
        "Ich rufe Sie unter [PHONE] an.",
        "Or write to [EMAIL], card [CARD]",
    ]

    await send_message(ws, "Danke, ich warte.")
    await receive_until(ws, "ack")
    await receive_type(agent_ws, "translation", seq=4, timeout=60)

    # A draft: the bot's prompt over the whole conversation, agents' words included.
    await agent_ws.send_json_to({"type": "suggest", "conversation": public_id})
    suggestion = (await receive_type(agent_ws, "suggestion", timeout=60))[-1]
    assert suggestion["text"]

    kinds = [request.request_id.split("-")[0] for request in scripted.submitted]
    assert kinds.count("draft") == 1 and kinds.count("translate") >= 3
    for request in scripted.submitted:
        assert not any(secret in request.prompt for secret in SECRETS), request.prompt
    draft = next(r.prompt for r in scripted.submitted if r.request_id.startswith("draft"))
    assert all(p in draft for p in ("[EMAIL]", "[PHONE]", "[CARD]"))

    # The bot's own prompt, once it has the chat again, likewise.
    customer = (await database_sync_to_async(messages)(conversation, Actor.CUSTOMER))[-1]
    job = await database_sync_to_async(build_reply_job)(customer)
    history = "\n".join(turn.text for turn in job.prompt.history)
    assert not any(secret in history for secret in SECRETS)
    assert all(p in history for p in ("[EMAIL]", "[PHONE]", "[CARD]"))


async def test_a_draft_with_a_foreign_link_or_someone_elses_email_is_not_shown_to_the_agent(
    scripted, output_guard, conversation_factory, connect, agent_factory, console
):
    agent = await database_sync_to_async(agent_factory)("greta")
    agent_ws, _ = await console(agent)
    conversation, _token, ws = await escalated_chat(conversation_factory, connect)
    public_id = str(conversation.public_id)
    await send_message(ws, "I cannot log in to my account.")
    await receive_until(ws, "ack")
    await open_and_claim(agent_ws, public_id)

    scripted.pieces = [
        "Reset it at http://evil.example.net/reset ",
        "or mail ceo@rival.example.org for help.",
    ]
    await agent_ws.send_json_to({"type": "suggest", "conversation": public_id})
    seen = await receive_type(agent_ws, "error", timeout=60)
    assert not [f for f in seen if f["type"] == "suggestion"]
    assert not any("evil.example" in str(f) or "ceo@" in str(f) for f in seen)
    error = seen[-1]
    assert error["code"] == "draft_blocked" and error["conversation"] == public_id
    assert "safety check" in error["detail"]

    [event] = await database_sync_to_async(safety_events)(conversation)
    assert (event.direction, event.action) == ("draft", "block")
    assert set(event.categories) == {"pii_email", "active_content"}
    assert "ceo@rival" not in event.excerpt and "[EMAIL]" in event.excerpt

    # A draft that passes reaches the agent as before.
    scripted.pieces = ["I am sorry about that. Let me check your account."]
    await agent_ws.send_json_to({"type": "suggest", "conversation": public_id})
    suggestion = (await receive_type(agent_ws, "suggestion", timeout=60))[-1]
    assert suggestion["text"] == "I am sorry about that. Let me check your account."


async def test_a_translation_the_guard_stops_is_withheld_and_nothing_is_sent(
    scripted, output_guard, conversation_factory, connect, agent_factory, console
):
    agent = await database_sync_to_async(agent_factory)("theo")
    agent_ws, _ = await console(agent, accept_language="en")
    conversation, _token, ws = await escalated_chat(conversation_factory, connect, locale="de")
    public_id = str(conversation.public_id)
    await send_message(ws, "Ich kann mich nicht anmelden.")
    await receive_until(ws, "ack")

    scripted.pieces = ["I cannot log in, see http://evil.example.net/x"]
    translation = await open_and_translate(agent_ws, public_id)
    assert translation["blocked"] is True and translation["text"] == ""
    assert "safety check" in translation["notice"]
    kept = await database_sync_to_async(lambda: MessageTranslation.objects.count())()
    assert kept == 0  # not kept: the next opening tries again
    await claim(agent_ws, public_id)

    await agent_ws.send_json_to(send_frame(public_id, "I am checking it now.", translate=True))
    error = (await receive_type(agent_ws, "error", timeout=60))[-1]
    assert error["code"] == "translation_blocked"
    assert await database_sync_to_async(messages)(conversation, Actor.AGENT) == []

    logged = await database_sync_to_async(safety_events)(conversation)
    assert [(e.direction, e.categories) for e in logged] == [
        ("translation", ["active_content"]),
        ("translation", ["active_content"]),
    ]


def test_a_translation_may_say_what_its_source_says_however_alarming(
    output_guard, conversation_factory
):
    from supportbot.safety.guard import check_agent_text, translation_context

    conversation, _token = conversation_factory(locale="de")
    source = "Ich will nicht mehr leben, ich will mich umbringen."
    translated = "I do not want to live anymore, I want to kill myself."
    check = {"conversation_id": conversation.pk, "direction": "translation"}
    # The agent must read a customer in distress in their own language.
    passed = check_agent_text(translated, translation_context(source), source=source, **check)
    assert passed.is_allow
    assert not SafetyEvent.objects.filter(conversation=conversation).exists()
    # The same words where nothing asked for them (a draft, a harmless source) are stopped.
    harmless = "Wo ist mein Paket?"
    stopped = check_agent_text(translated, translation_context(harmless), source=harmless, **check)
    assert not stopped.is_allow and "self_harm" in stopped.categories


def test_messages_stored_before_are_given_their_redacted_copy(conversation_factory):
    from django.apps import apps

    migration = importlib.import_module(
        "supportbot.chat.migrations.0007_redact_agent_text_and_csat"
    )
    conversation, _token = conversation_factory()
    old = Message.objects.create(
        conversation=conversation, seq=1, role=Actor.AGENT, text=f"Mail {AGENT_EMAIL}"
    )
    migration.redact_stored_text(apps, None)
    old.refresh_from_db()
    assert old.redacted_text == "Mail [EMAIL]"
