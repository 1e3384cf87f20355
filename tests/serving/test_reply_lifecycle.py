"""The reply lifecycle, each behaviour once, under both transports (``conftest``): stream,
guard, retract, store once, hand off, supersede, skip the answered, time out, abort."""

from __future__ import annotations

import uuid

import pytest
from channels.db import database_sync_to_async

from supportbot.chat import services
from supportbot.chat.escalation import Reason, escalate
from supportbot.chat.models import Actor, Conversation, ConversationEvent, Message
from supportbot.safety.models import SafetyEvent
from supportbot.serving.models import GenerationRecord
from tests.chat.helpers import receive_until

pytestmark = pytest.mark.django_db(transaction=True)


def ask(conversation, text: str):
    result = services.receive_customer_message(conversation.pk, client_id=uuid.uuid4(), text=text)
    assert result.job is not None
    return result.job


def bot_replies(conversation) -> list[Message]:
    return list(Message.objects.filter(conversation=conversation, role=Actor.BOT))


def generations(conversation) -> list[tuple]:
    return list(
        GenerationRecord.objects.filter(conversation=conversation).values_list(
            "purpose", "variant", "finish_reason", "failure"
        )
    )


def failures(conversation) -> list[str]:
    return list(
        ConversationEvent.objects.filter(
            conversation=conversation, kind=ConversationEvent.Kind.BOT_FAILED
        ).values_list("reason", flat=True)
    )


async def open_chat(conversation_factory, connect, locale="en"):
    conversation, token = await database_sync_to_async(conversation_factory)(locale=locale)
    ws, _ = await connect(conversation, token)
    return conversation, ws


async def test_a_reply_streams_and_is_stored_once(transport, conversation_factory, connect):
    transport.engine.pieces = ["Parcels ", "arrive in ", "3-5 days."]
    conversation, ws = await open_chat(conversation_factory, connect)
    job = await database_sync_to_async(ask)(conversation, "How long is delivery?")
    await transport.run(job)
    frames = await receive_until(ws, "bot.done", timeout=30)
    shown = "".join(f["text"] for f in frames if f["type"] == "bot.delta")
    assert shown == "Parcels arrive in 3-5 days." == frames[-1]["text"]
    [reply] = await database_sync_to_async(bot_replies)(conversation)
    assert (reply.seq, reply.reply_to_id, reply.token_count) == (
        frames[-1]["seq"],
        job.reply_to_id,
        3,
    )
    assert reply.variant_id is not None  # which variant wrote it
    record = await database_sync_to_async(GenerationRecord.objects.get)(conversation=conversation)
    assert (record.purpose, record.variant, record.completion_tokens) == ("reply", "default", 3)
    assert record.prompt_tokens > 10 and record.engine_seconds >= 0 and record.failure == ""

    # The same job again (a redelivery, a second tab): announced, not generated twice.
    submitted = len(transport.engine.submitted)
    await transport.run(job)
    again = await receive_until(ws, "bot.done", timeout=30)
    assert again[-1]["seq"] == reply.seq
    assert len(transport.engine.submitted) == submitted
    assert len(await database_sync_to_async(bot_replies)(conversation)) == 1
    await ws.disconnect()


async def test_an_unsafe_sentence_never_reaches_the_socket(
    transport, settings, conversation_factory, connect
):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "OUTPUT_GUARD": True}
    # The bad link sits before a sentence end, so the block comes mid-stream and the
    # generation is aborted (not at the final check).
    transport.engine.pieces = [
        "Your refund ", "is on its way.", " Click https://evil.example.net/claim", " now. ",
        "Thanks.",
    ]  # fmt: skip
    transport.engine.delay_s = 0.05
    conversation, ws = await open_chat(conversation_factory, connect)
    job = await database_sync_to_async(ask)(conversation, "Where is my refund?")
    await transport.run(job)

    frames = await receive_until(ws, "handoff", timeout=30)
    handoff = frames[-1]
    assert (handoff["state"], handoff["reason"]) == ("waiting_agent", "output_blocked")
    frames = frames[:-1]
    shown = "".join(f.get("text", "") for f in frames if f["type"] == "bot.delta")
    assert "Your refund is on its way.".startswith(shown)
    assert all("evil.example" not in str(f) for f in frames)
    assert [f["type"] for f in frames][-2:] == ["bot.retract", "bot.done"]
    assert "colleague will take over" in frames[-1]["text"]

    await database_sync_to_async(conversation.refresh_from_db)()
    assert conversation.state == Conversation.State.WAITING_AGENT
    [reply] = await database_sync_to_async(bot_replies)(conversation)
    assert reply.finish_reason == "blocked" and "evil" not in reply.text
    event = await database_sync_to_async(SafetyEvent.objects.get)(conversation=conversation)
    assert (event.direction, event.action, event.categories) == (
        "output", "block", ["active_content"],
    )  # fmt: skip
    assert await database_sync_to_async(generations)(conversation) == [
        ("reply", "default", "blocked", "")
    ]
    await ws.disconnect()


async def test_a_reply_that_hands_over_escalates_after_it_is_shown(
    transport, conversation_factory, connect
):
    transport.engine.pieces = [
        "I'm sorry, I can't help with that here. ",
        "I'll pass this to a colleague who can.",
    ]
    conversation, ws = await open_chat(conversation_factory, connect)
    job = await database_sync_to_async(ask)(conversation, "Can you change the VAT on my invoice?")
    await transport.run(job)
    frames = await receive_until(ws, "handoff", timeout=30)
    types = [f["type"] for f in frames]
    assert types.index("bot.done") < types.index("handoff")
    assert frames[-1]["reason"] == Reason.BOT_CANNOT_HELP
    await database_sync_to_async(conversation.refresh_from_db)()
    assert conversation.state == Conversation.State.WAITING_AGENT
    assert len(await database_sync_to_async(bot_replies)(conversation)) == 1
    await ws.disconnect()


async def test_a_reply_finished_after_people_took_over_is_taken_back_not_stored(
    transport, conversation_factory, connect
):
    transport.engine.pieces = ["Here is ", "what you can do."]
    conversation, ws = await open_chat(conversation_factory, connect)
    job = await database_sync_to_async(ask)(conversation, "My parcel is late")
    await database_sync_to_async(escalate)(conversation.pk, reason=Reason.CUSTOMER_BUTTON)
    await transport.run(job)
    frames = await receive_until(ws, "bot.retract", timeout=30)
    assert frames[-1]["reply_to"] == job.reply_to_seq
    assert await database_sync_to_async(bot_replies)(conversation) == []
    assert await database_sync_to_async(failures)(conversation) == ["superseded"]
    assert await database_sync_to_async(generations)(conversation) == [
        ("reply", "default", "stop", "superseded")
    ]
    await ws.disconnect()


async def test_a_stuck_generation_times_out_and_the_question_stays_open(
    transport, settings, conversation_factory, connect
):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "GENERATION_TIMEOUT_S": 0.5}
    transport.engine.pieces = ["Slowly ", "very ", "slowly ", "and ", "more."]
    transport.engine.delay_s = 0.3
    conversation, ws = await open_chat(conversation_factory, connect)
    job = await database_sync_to_async(ask)(conversation, "Hello?")
    await transport.run(job)
    frames = await receive_until(ws, "bot.done", timeout=30)
    assert frames[-1]["seq"] is None and frames[-1]["finish_reason"] == "error"
    assert await database_sync_to_async(bot_replies)(conversation) == []
    assert await database_sync_to_async(failures)(conversation) == ["error"]
    assert await database_sync_to_async(generations)(conversation) == [
        ("reply", "default", "error", "error")
    ]
    pending = await database_sync_to_async(services.unanswered_customer_message)(conversation.pk)
    assert pending is not None and pending.pk == job.reply_to_id
    await ws.disconnect()


async def test_safe_text_held_back_by_the_guard_is_all_delivered(
    transport, settings, conversation_factory, connect
):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "OUTPUT_GUARD": True}
    pieces = ["通常配送は", "3〜5営業日", "です。", "お急ぎの場合は", "速達を", "ご利用ください"]
    transport.engine.pieces = pieces
    conversation, ws = await open_chat(conversation_factory, connect, locale="ja")
    job = await database_sync_to_async(ask)(conversation, "配送にはどのくらいかかりますか？")
    await transport.run(job)
    frames = await receive_until(ws, "bot.done", timeout=30)
    shown = "".join(f["text"] for f in frames if f["type"] == "bot.delta")
    assert shown == "".join(pieces) == frames[-1]["text"]
    assert "bot.retract" not in [f["type"] for f in frames]
    assert await database_sync_to_async(SafetyEvent.objects.count)() == 0
    await ws.disconnect()


async def test_an_aborted_generation_stores_nothing_and_the_question_stays_open(
    transport, settings, conversation_factory
):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "ABANDON_GRACE_S": 0.0}
    transport.engine.pieces = ["One ", "piece ", "at ", "a ", "time."]
    transport.engine.delay_s = 0.2
    conversation, _token = await database_sync_to_async(conversation_factory)()
    job = await database_sync_to_async(ask)(conversation, "Are you there?")
    await transport.run_and_abort(job, after_s=0.3)
    assert await database_sync_to_async(bot_replies)(conversation) == []
    assert await database_sync_to_async(failures)(conversation) == ["abort"]
    pending = await database_sync_to_async(services.unanswered_customer_message)(conversation.pk)
    assert pending is not None and pending.pk == job.reply_to_id
