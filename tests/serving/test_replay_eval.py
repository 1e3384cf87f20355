"""``manage.py replay_eval``: past customer turns answered again by a candidate variant and by
the default, with the real tiny model, and nobody sees a thing."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.management import CommandError, call_command

from supportbot.chat import broadcast
from supportbot.chat.dispatching import get_dispatcher, reset_dispatcher
from supportbot.chat.models import Conversation, ConversationEvent, Message
from supportbot.experiments.models import ModelVariant
from supportbot.safety.models import SafetyEvent
from supportbot.serving.models import GenerationRecord
from supportbot.serving.replay import Answer, judge, plan_job, replay, select_turns
from tests.analytics.history import Chat, Clock

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "jane.doe@example.com"
SHORT = 3  # the candidate's max_new_tokens


@pytest.fixture(scope="module")
def dispatcher(tiny_moe):
    """A real engine, not another test's scripted one; loaded once for the module."""
    reset_dispatcher()
    yield get_dispatcher()
    reset_dispatcher()


@pytest.fixture
def history(dispatcher):
    """Three answered customer turns (two English, one German) and one left unanswered,
    a minute apart; and the candidate: the default's model with shorter replies."""
    with Clock(datetime(2025, 6, 2, 9, 0, tzinfo=UTC)) as clock:
        english = Chat(clock, locale="en")
        english.customer("How long does shipping take?")
        english.bot_reply(first_token_s=0.2, complete_s=1.0)
        clock.after(60)
        english.customer(f"Please write to {EMAIL}, where is my parcel?")
        english.bot_reply(first_token_s=0.2, complete_s=1.0)
        clock.after(60)
        german = Chat(clock, locale="de")
        german.customer("Wie lange dauert der Versand nach Österreich?")
        german.bot_reply(first_token_s=0.2, complete_s=1.0)
        clock.after(60)
        Chat(clock).customer("Hello, is anyone there?")  # no reply yet: not a turn
    ModelVariant.objects.create(
        name="brief", model="tiny-moe", is_moe=True, generation={"max_new_tokens": SHORT}
    )
    return english, german


def evaluate(*args: str) -> dict:
    out, err = io.StringIO(), io.StringIO()
    call_command("replay_eval", "--variant", "brief", *args, "--json", stdout=out, stderr=err)
    return json.loads(out.getvalue())


def stored_state() -> dict:
    return {
        "messages": list(Message.objects.order_by("pk").values_list("pk", "text", "seq")),
        "events": ConversationEvent.objects.count(),
        "generations": GenerationRecord.objects.count(),
        "safety": SafetyEvent.objects.count(),
        "conversations": list(
            Conversation.objects.order_by("pk").values_list(
                "pk", "state", "last_seq", "language", "updated_at", "variant_id"
            )
        ),
    }


def listen(conversations) -> str:
    """A channel in every conversation's customer group, as a connected widget would be."""
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    for chat in conversations:
        async_to_sync(layer.group_add)(broadcast.group_name(chat.public_id), channel)
    return channel


async def frames_on(channel: str, wait_s: float = 0.3) -> list:
    received = []
    layer = get_channel_layer()
    while True:
        try:
            received.append(await asyncio.wait_for(layer.receive(channel), wait_s))
        except TimeoutError:
            return received


def test_replay_compares_the_candidate_with_the_default_without_showing_anything(history):
    before = stored_state()
    channel = listen(history)

    summary = evaluate("--conversations", "2", "--seed", "7")

    assert summary["turns"] == 2 and summary["without_model"] == 0
    assert set(summary["variants"]) == {"brief", "default"}
    brief, default = summary["variants"]["brief"], summary["variants"]["default"]
    for metrics in (brief, default):
        assert metrics["turns"] == 2 and metrics["errors"] == 0
        assert metrics["reply_tokens"]["n"] == 2 and metrics["ttft_s"]["n"] == 2
        assert metrics["ttft_s"]["p50"] <= metrics["complete_s"]["p50"]
        assert metrics["ttft_s"]["p90"] >= metrics["ttft_s"]["p50"] > 0
    assert brief["max_new_tokens"] == SHORT and default["max_new_tokens"] == 24
    assert 0 < brief["reply_tokens"]["mean"] <= SHORT
    assert brief["reply_tokens"]["p50"] <= SHORT
    assert brief["reply_tokens"]["mean"] <= default["reply_tokens"]["mean"]
    assert summary["differences"]["reply_tokens.mean"] == pytest.approx(
        brief["reply_tokens"]["mean"] - default["reply_tokens"]["mean"], abs=1e-3
    )
    for key in ("language_match", "grounded", "safety_flagged"):
        assert key in brief and key in default
    # Nothing stored, changed or sent.
    assert stored_state() == before
    assert async_to_sync(frames_on)(channel) == []


def test_with_the_live_guard_on_nothing_is_stored_either(history, settings):
    settings.SUPPORTBOT = {
        **settings.SUPPORTBOT,
        "OUTPUT_GUARD": True,
        "GROUNDING_CHECK": True,
        "REPLY_LANGUAGE_CHECK": True,
    }
    before = stored_state()

    summary = evaluate("--conversations", "3")

    for metrics in summary["variants"].values():
        assert sum(metrics["outcomes"].values()) == 3
        assert set(metrics["outcomes"]) <= {"replied", "blocked", "replaced", "failed"}
    assert stored_state() == before


def test_the_model_sees_the_redacted_turns_the_chat_would_send(history):
    english, _german = history

    report = replay("brief", limit=10)

    assert [turn.language for turn in report.turns] == ["en", "en", "de"]
    email_turn = report.turns[1]
    assert email_turn.conversation == english.public_id
    prompts = {name: answer.prompt for name, answer in email_turn.answers.items()}
    assert set(prompts) == {"brief", "default"}
    # One prompt for both variants, built from the redacted text.
    assert prompts["brief"] == prompts["default"]
    assert EMAIL not in prompts["brief"] and "[EMAIL]" in prompts["brief"]
    assert "How long does shipping take?" in prompts["brief"]  # the turn before it
    assert "Österreich" in report.turns[2].answers["default"].prompt
    for turn in report.turns:
        assert turn.answers["brief"].tokens <= SHORT


def test_only_turns_in_the_language_and_time_asked_for(history):
    german = evaluate("--conversations", "5", "--language", "de")
    later_english = evaluate("--since", "2025-06-02T09:00:30Z", "--language", "en-GB")

    assert german["turns"] == 1 and german["variants"]["brief"]["turns"] == 1
    assert later_english["turns"] == 1


def test_no_turns_is_said_in_the_table(history):
    out = io.StringIO()
    call_command("replay_eval", "--variant", "brief", "--since", "2030-01-01", stdout=out)

    assert "No answered customer turns to replay." in out.getvalue()


def test_no_turns_is_no_error(history):
    summary = evaluate("--since", "2030-01-01")

    assert summary["turns"] == 0
    assert summary["variants"]["brief"]["reply_tokens"]["mean"] is None
    assert summary["differences"]["ttft_s.p50"] is None


def test_an_unknown_variant_is_named(history):
    with pytest.raises(CommandError, match="unknown variant 'nope'"):
        call_command("replay_eval", "--variant", "nope", stdout=io.StringIO())


def test_the_default_variant_is_no_candidate(history):
    with pytest.raises(CommandError, match="default variant"):
        call_command("replay_eval", "--variant", "default", stdout=io.StringIO())


def test_a_seed_makes_sampled_replies_repeatable(history):
    ModelVariant.objects.create(
        name="sampled", model="tiny-moe", is_moe=True,
        generation={"max_new_tokens": 6, "temperature": 1.0, "top_k": 50},
    )  # fmt: skip

    def texts(seed: int) -> list[str]:
        report = replay("sampled", limit=2, seed=seed)
        return [turn.answers["sampled"].text for turn in report.turns]

    first = texts(seed=3)
    assert texts(seed=3) == first
    assert texts(seed=4) != first


def test_behind_celery_the_replay_loads_its_own_engine(history, settings):
    settings.SUPPORTBOT = {
        **settings.SUPPORTBOT,
        "ENGINE": "celery",
        "DISPATCHER": "supportbot.serving.celery_dispatch.CeleryDispatcher",
    }
    reset_dispatcher()
    try:
        summary = evaluate("--conversations", "1")
        assert not hasattr(get_dispatcher(), "engine")  # nothing loaded into the web's side
    finally:
        reset_dispatcher()  # the next test's dispatcher follows the restored settings

    assert summary["turns"] == 1
    assert summary["variants"]["brief"]["errors"] == 0


def test_answers_are_judged_by_the_products_checks(history):
    german_turn = select_turns(10)[-1]
    job = plan_job(german_turn)
    answers = [
        Answer("", text, 8, "stop", "replied", 0.1, 0.2)
        for text in (
            "Der Versand nach Österreich dauert in der Regel ein paar Werktage.",
            "Shipping to Austria usually takes a few working days, as far as I know.",
            "Der Versand kostet 99 Euro und dauert drei Wochen.",
            "Bitte bestellen Sie über https://evil.example/pay neu.",
            "",
        )
    ]

    judge(job, answers)

    assert [a.language_ok for a in answers] == [True, False, True, True, None]
    assert [a.grounded for a in answers] == [True, True, False, True, None]
    assert answers[0].safety == () and answers[4].safety is None
    assert "active_content" in answers[3].safety
