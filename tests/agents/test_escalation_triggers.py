"""Every escalation trigger over a real customer socket, each with its reason code; the bot
says nothing once people have the conversation."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from supportbot.chat.models import Actor, Conversation, ConversationEvent, Message, Priority
from tests.chat.helpers import receive_reply, receive_until, send_message

pytestmark = pytest.mark.django_db(transaction=True)

# Fresh wordings (not the detector's examples), one per language.
ASKS_FOR_A_PERSON = {
    "en": ("en", "Can you put me through to someone from your team please?"),
    "de": ("de", "Kann ich bitte mit einem echten Menschen sprechen?"),
    "fr": ("fr", "Est-ce que je peux parler à quelqu'un de votre service ?"),
    "es": ("es", "Necesito hablar con una persona de atención al cliente."),
    "it": ("it", "Mi passi un operatore umano, per favore."),
    "pt": ("pt", "Quero falar com um atendente humano."),
    "zh": ("zh", "请帮我转接人工客服"),
    "ja": ("ja", "人間のスタッフと話せますか？"),
    "ko": ("ko", "사람 상담원이랑 이야기하고 싶어요"),
    "ru": ("ru", "Соедините меня, пожалуйста, с живым оператором."),
    "ar": ("ar", "أريد التحدث إلى موظف خدمة العملاء من فضلك"),
    "tr": ("tr", "Lütfen beni bir müşteri temsilcisine bağlayın."),
    # Once flagged as violence, self-harm and sexual content by the first safety classifier,
    # which could not read Vietnamese: the customer got the crisis message.
    "vi": ("vi", "tôi muốn nói chuyện với nhân viên"),
    "cs": ("cs", "Můžete mě prosím spojit s operátorem?"),
    "uk": ("uk", "З'єднайте мене, будь ласка, з оператором."),
}


def reasons(conversation) -> list[str]:
    return list(
        ConversationEvent.objects.filter(
            conversation=conversation, kind=ConversationEvent.Kind.STATE_CHANGED
        ).values_list("reason", flat=True)
    )


def bot_messages(conversation) -> int:
    return Message.objects.filter(conversation=conversation, role=Actor.BOT).count()


# The shipped safety classifier takes this Korean request for sexual content (see
# tests/safety/test_classifier.py, KNOWN_FALSE_POSITIVES).
KNOWN_SAFETY_FALSE_POSITIVE = {"ko"}


@pytest.mark.parametrize(
    "code",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason="safety false positive"))
        if c in KNOWN_SAFETY_FALSE_POSITIVE
        else c
        for c in sorted(ASKS_FOR_A_PERSON)
    ],
)
async def test_asking_for_a_person_escalates_in_any_language(code, conversation_factory, connect):
    locale, text = ASKS_FOR_A_PERSON[code]
    conversation, token = await database_sync_to_async(conversation_factory)(locale=locale)
    ws, _ = await connect(conversation, token)
    await send_message(ws, text)
    frames = await receive_until(ws, "handoff", timeout=30)
    assert frames[-1]["state"] == "waiting_agent"
    assert frames[-1]["reason"] == "customer_request"
    assert not [f for f in frames if f["type"].startswith("bot.")]
    assert await ws.receive_nothing(timeout=1)  # and no reply after it either
    assert await database_sync_to_async(reasons)(conversation) == ["customer_request"]
    assert await database_sync_to_async(bot_messages)(conversation) == 0


async def test_an_ordinary_question_still_gets_the_bot(conversation_factory, connect):
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await send_message(ws, "How long does shipping to Canada take?")
    _deltas, done = await receive_reply(ws)
    assert done["seq"] is not None
    await database_sync_to_async(conversation.refresh_from_db)()
    assert conversation.state == Conversation.State.BOT


@pytest.mark.xfail(strict=True, reason="safety false positive: shouting reads as injection")
async def test_strong_anger_brings_in_a_person_with_high_priority(conversation_factory, connect):
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await send_message(
        ws, "This is the third time I'm writing and NOBODY helps me. I'm absolutely furious!"
    )
    frames = await receive_until(ws, "handoff", timeout=30)
    assert frames[-1]["reason"] == "negative_sentiment"
    await database_sync_to_async(conversation.refresh_from_db)()
    assert conversation.priority == Priority.HIGH


async def test_too_many_bot_turns_bring_in_a_person(conversation_factory, connect, settings):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "ESCALATE_AFTER_BOT_TURNS": 1}
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await send_message(ws, "How long does shipping take?")
    _deltas, done = await receive_reply(ws)
    assert done["seq"] is not None
    await send_message(ws, "And to Canada?")
    frames = await receive_until(ws, "handoff", timeout=30)
    assert frames[-1]["reason"] == "no_progress"
    assert await database_sync_to_async(bot_messages)(conversation) == 1


async def test_distress_while_waiting_makes_the_ticket_urgent(conversation_factory, connect):
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "escalate"})
    await receive_until(ws, "handoff")
    await database_sync_to_async(conversation.refresh_from_db)()
    assert conversation.priority == Priority.NORMAL
    await send_message(ws, "I want to kill myself, I can't go on.")
    await receive_until(ws, "bot.done", timeout=30)  # the caring words, even while waiting
    await database_sync_to_async(conversation.refresh_from_db)()
    assert conversation.priority == Priority.URGENT
    raised = await database_sync_to_async(
        ConversationEvent.objects.filter(conversation=conversation, kind="priority_raised").count
    )()
    assert raised == 1


async def test_contact_details_are_only_taken_while_waiting(conversation_factory, connect):
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "contact", "email": "jo@example.org"})
    assert (await ws.receive_json_from(timeout=10))["code"] == "contact_not_needed"
    await database_sync_to_async(conversation.refresh_from_db)()
    assert conversation.contact == {}
