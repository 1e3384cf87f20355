"""Every figure of the summary, exactly, for a day of hand-built conversations that covers
the cases metrics get wrong: never started, still open, escalated before the bot said
anything, self-harm, an output the guard blocked, two escalation cycles, a transfer, an
unclaimed ticket closed by an agent, a customer leaving while waiting, no agent online, an
idle close, CSAT skipped / never asked / given after the window, a failed reply answered on
resume, both ends of the window, and percentiles of two values.

The expected numbers are worked out by hand from the schedule below (docs/metrics.md)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from supportbot.agents.models import AgentPresence
from supportbot.analytics import metrics
from supportbot.analytics.models import EscalationFact
from supportbot.chat import escalation, replies
from supportbot.chat.models import Reason
from supportbot.safety.verdict import Action, Category, Verdict
from tests.analytics.history import Chat, Clock

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime(2026, 3, 10, tzinfo=UTC)
WINDOW = metrics.Window(start=DAY, end=DAY + timedelta(days=1))
SELF_HARM = "I want to kill myself tonight, I have the pills ready"


def at(hours: int, minutes: int = 0, seconds: float = 0) -> datetime:
    return DAY + timedelta(hours=hours, minutes=minutes, seconds=seconds)


def build_day(anna, ben) -> dict[str, Chat]:
    chats: dict[str, Chat] = {}
    with Clock(DAY - timedelta(seconds=1)) as clock:
        # Before the window by one second: never counted, though idle-closed inside it.
        chats["before"] = Chat(clock)
        chats["before"].customer()
        # Exactly at the window's start: counted; idle-closed at 15:40 (handling 0 s).
        chats["midnight"] = Chat(clock.at(DAY))
        chats["midnight"].customer()
        # A widget opened, nothing written: never started.
        chats["never"] = Chat(clock.at(at(8)))

        b = chats["bot_only"] = Chat(clock.at(at(9)))
        b.customer()
        b.bot_reply(first_token_s=0.4, complete_s=2.0)
        clock.after(60)
        b.customer_resolves()  # handling 62 s
        clock.after(10)
        b.rate(5)

        # Escalated with the button before any bot reply, nobody online; the customer
        # leaves after two minutes (CSAT asked, skipped).
        d = chats["left_waiting"] = Chat(clock.at(at(11)))
        d.customer()
        d.press_escalate()
        clock.after(120)
        d.customer_resolves()

        # Two escalation cycles with anna.
        e = chats["two_cycles"] = Chat(clock.at(at(12)))
        e.customer()
        e.bot_reply(first_token_s=0.5, complete_s=1.5)  # 12:00:01.5
        e.generation("draft", 50, 10, 0.7)
        clock.after(30)
        e.escalate(Reason.NEGATIVE_SENTIMENT)  # cycle 1 at 12:00:31.5
        clock.after(40)
        e.claim(anna)  # waited 40 s
        clock.after(20)
        e.agent_says(anna)  # first response after 60 s
        clock.after(100)
        e.hand_back(anna)  # 120 s with anna
        clock.after(50)
        e.customer()  # 12:04:01.5
        e.bot_reply(first_token_s=0.6, complete_s=2.6)  # 12:04:04.1
        clock.after(10)
        e.press_escalate()  # cycle 2 at 12:04:14.1 (after a bot reply: the button)
        clock.after(30)
        e.claim(anna)  # waited 30 s
        clock.after(15)
        e.agent_says(anna)  # first response after 45 s
        clock.after(200)
        e.agent_resolves(anna)  # 215 s with anna; handling 499.1 s
        clock.after(5)
        e.rate(4)

        # Transferred from anna to ben, who resolves; anna is online when it escalates.
        f = chats["transfer"] = Chat(clock.at(at(13)))
        AgentPresence.objects.create(user=anna, channel_name="console-anna")
        f.customer()
        f.bot_reply(first_token_s=0.7, complete_s=2.2)  # 13:00:02.2
        f.press_escalate()
        clock.after(10)
        f.claim(anna)  # waited 10 s
        clock.after(5)
        f.agent_says(anna)  # first response after 15 s
        clock.after(60)
        f.transfer(anna, ben)
        clock.after(100)
        f.agent_resolves(ben)  # 165 s with agents; handling 177.2 s
        f.rate(2)
        AgentPresence.objects.all().delete()

        # An unclaimed ticket closed by an agent (answered by email, say).
        g = chats["closed_unclaimed"] = Chat(clock.at(at(14)))
        g.customer()
        g.press_escalate()
        clock.after(300)
        g.agent_resolves(ben)  # handling 300 s

        # Idle close: handling ends at the last message (the reply at 15:00:01).
        h = chats["idle"] = Chat(clock.at(at(15)))
        h.customer()
        h.bot_reply(first_token_s=0.5, complete_s=1.0)
        clock.at(at(15, 40))
        assert escalation.resolve_idle(timedelta(minutes=30)) == 3  # before, midnight, idle

        c = chats["open"] = Chat(clock.at(at(16, 30)))
        c.customer()
        c.bot_reply(first_token_s=0.8, complete_s=3.0)

        # The engine failed; the customer's resume asked again and got the reply 30 s in.
        i = chats["failed_then_answered"] = Chat(clock.at(at(17)))
        i.customer()
        clock.after(5)
        i.failed_reply()
        i.bot_reply(first_token_s=29.0, complete_s=30.0)

        j = chats["self_harm"] = Chat(clock.at(at(18)))
        result = j.customer(SELF_HARM, screened=True)
        assert result.reply is not None and result.reply.finish_reason == "safety"

        # The output guard stopped the model: the safe reply, then people.
        k = chats["output_blocked"] = Chat(clock.at(at(19)))
        k.customer()
        asked = k.last_customer_message.created_at.timestamp()
        clock.after(0.9)
        outcome = replies.ReplyOutcome(
            text="...", finish_reason="blocked", token_count=5, queued_at=asked,
            started_at=asked, first_token_at=asked + 0.3, completed_at=asked + 0.9,
        )  # fmt: skip
        verdict = Verdict(Action.BLOCK, (Category.VIOLENCE,), primary=Category.VIOLENCE)
        replies.store_blocked_reply(k.last_customer_message.pk, outcome, verdict)

        # Started a minute before the window ends, rated after it: counted, rating and all.
        m = chats["rated_after_window"] = Chat(clock.at(at(23, 59)))
        m.customer()
        m.bot_reply(first_token_s=0.5, complete_s=1.0)
        clock.after(30)
        m.customer_resolves()  # handling 31 s
        clock.at(DAY + timedelta(days=1, minutes=10))
        m.rate(3)

        # Exactly at the window's end: the next window's.
        Chat(clock.at(DAY + timedelta(days=1))).customer()
    return chats


@pytest.fixture
def day(demo_kb, team, settings):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "GPU_HOUR_PRICE": 3.6}
    return build_day(*team)


def rate(numerator, denominator):
    return {
        "value": pytest.approx(numerator / denominator) if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


def stats(mean, p50, p90, n):
    return {"mean": pytest.approx(mean, abs=1e-3), "p50": pytest.approx(p50, abs=1e-3),
            "p90": pytest.approx(p90, abs=1e-3), "n": n}  # fmt: skip


def check_conversations_escalation_and_containment(day):
    summary = metrics.summary(WINDOW)
    # midnight, bot_only, left_waiting, two_cycles, transfer, closed_unclaimed, idle, open,
    # failed_then_answered, self_harm, output_blocked, rated_after_window.
    assert summary["conversations"] == 12
    assert summary["resolved"] == 8 and summary["open"] == 4
    escalated = summary["escalation_rate"]
    assert {k: escalated[k] for k in ("value", "numerator", "denominator")} == rate(6, 12)
    assert escalated["before_bot_reply"] == rate(3, 12)  # left_waiting, unclaimed, self_harm
    assert escalated["by_reason"] == {
        "customer_button": 3, "negative_sentiment": 1, "safety": 1, "output_blocked": 1,
    }  # fmt: skip
    contained = summary["containment_rate"]
    assert {k: contained[k] for k in ("value", "numerator", "denominator")} == rate(4, 8)
    assert contained["open"] == 4
    assert contained["by_resolve_reason"] == {
        "idle_timeout": rate(2, 2), "customer_resolved": rate(2, 3), "agent_resolved": rate(0, 3),
    }  # fmt: skip


def check_csat_counts_requests_ratings_and_segments(day):
    csat = metrics.summary(WINDOW)["csat"]
    assert csat["mean"] == pytest.approx(3.5)  # 5, 4, 2, and 3 given after the window
    assert (csat["responses"], csat["requested"]) == (4, 8)
    assert csat["top2_share"] == rate(2, 4)
    assert csat["response_rate"] == rate(4, 8)
    segments = csat["by_segment"]
    assert segments["bot_only"]["mean"] == pytest.approx(4.0)
    assert segments["bot_only"]["response_rate"] == rate(2, 4)
    assert segments["escalated_unclaimed"]["mean"] is None  # nobody rated: null, not 0
    assert segments["escalated_unclaimed"]["response_rate"] == rate(0, 2)
    assert segments["human"]["mean"] == pytest.approx(3.0)
    assert segments["human"]["top2_share"] == rate(1, 2)


def check_bot_response_times_count_normal_finishes_from_the_customer_message(day):
    times = metrics.summary(WINDOW)["bot_response_ms"]
    # 400 500 500 500 600 700 800 29000 (the failed reply's answer counts from the question)
    assert times["first_token"] == stats(4125.0, 550.0, 9260.0, 8)
    # 1000 1000 1500 2000 2200 2600 3000 30000; the blocked reply is not a normal finish
    assert times["complete"] == stats(5412.5, 2100.0, 11100.0, 8)


def check_handling_times_end_at_resolution_or_the_last_message(day):
    summary = metrics.summary(WINDOW)
    handling = summary["handling_time_s"]
    assert handling["all"] == stats(148.7875, 91.0, 359.73, 8)
    assert handling["bot_only"] == stats(23.5, 16.0, 52.7, 4)  # 0, 1, 31, 62
    assert handling["escalated"] == stats(274.075, 238.6, 439.37, 4)  # 120 177.2 300 499.1
    # Two values: p50 is their mean, p90 90 % of the way up.
    assert summary["agent_handling_s"] == stats(250.0, 250.0, 318.0, 2)  # 335 and 165


def check_first_human_response_and_claim_wait_per_cycle(day):
    summary = metrics.summary(WINDOW)
    first = summary["first_human_response_s"]
    assert first == {**stats(40.0, 45.0, 57.0, 3), "cycles": 7, "unanswered": 4}
    wait = summary["wait_to_claim_s"]
    assert wait == {**stats(26.667, 30.0, 38.0, 3), "cycles": 7, "unclaimed": 4}


def check_cycles_record_who_was_online_transfers_and_how_they_ended(day):
    cycles = {
        (c.conversation.public_id, c.cycle): c
        for c in EscalationFact.objects.select_related("conversation", "agent")
    }

    def cycle(name, number=1):
        return cycles[(day[name].conversation.public_id, number)]

    assert cycle("transfer").agents_online is True
    assert cycle("left_waiting").agents_online is False
    assert (cycle("transfer").transfers, cycle("transfer").agent.username) == (1, "ben")
    assert cycle("transfer").outcome == "agent_resolved"
    assert cycle("two_cycles", 1).outcome == "handed_back"
    assert cycle("two_cycles", 2).reason == "customer_button"
    assert cycle("left_waiting").outcome == "customer_left"
    assert cycle("closed_unclaimed").outcome == "closed_unclaimed"
    assert cycle("self_harm").outcome == "open"


def check_safety_decisions_per_thousand_customer_messages(day):
    safety = metrics.summary(WINDOW)["safety"]
    assert safety["customer_messages"] == 13  # two_cycles wrote twice
    per_1000 = safety["per_1000_messages"]
    assert per_1000["block"] == {"value": pytest.approx(1000 / 13), "numerator": 1,
                                 "denominator": 13}  # fmt: skip
    assert per_1000["escalate"]["numerator"] == 1
    assert safety["by_category"]["self_harm"]["escalate"]["numerator"] == 1
    assert safety["by_category"]["violence"]["block"]["numerator"] == 1
    assert safety["by_direction"] == {"input": 1, "output": 1}


def check_tokens_and_cost(day):
    summary = metrics.summary(WINDOW)
    tokens = summary["tokens"]
    # Eight model replies of 100 + 20 tokens, and one draft of 50 + 10.
    assert tokens["reply"] == {"prompt": 800, "completion": 160}
    assert tokens["draft"] == {"prompt": 50, "completion": 10}
    assert tokens["total"] == {"prompt": 850, "completion": 170}
    assert tokens["engine_seconds"] == pytest.approx(44.0)  # 2+1.5+2.6+2.2+1+3+30+1 + 0.7
    cost = summary["cost"]
    assert cost["total"] == pytest.approx(0.044)  # 44 s at 3.60 per GPU-hour
    assert cost["per_1m_tokens"]["value"] == pytest.approx(0.044 / 0.00102)
    per_resolved = cost["per_resolved_conversation"]
    assert per_resolved["value"] == pytest.approx(0.0055)
    assert (per_resolved["numerator"], per_resolved["denominator"]) == (pytest.approx(0.044), 8)


def check_filters_and_an_empty_window_give_nulls_not_zeros(day):
    empty = metrics.summary(
        metrics.Window(start=DAY - timedelta(days=9), end=DAY - timedelta(days=8))
    )
    assert empty["conversations"] == 0
    assert empty["escalation_rate"]["value"] is None
    assert empty["csat"]["mean"] is None
    assert empty["bot_response_ms"]["first_token"] == {"mean": None, "p50": None, "p90": None,
                                                       "n": 0}  # fmt: skip
    german = metrics.summary(metrics.Window(start=DAY, end=DAY + timedelta(days=1), language="de"))
    assert german["conversations"] == 0
    assert (
        metrics.summary(metrics.Window(start=DAY, end=DAY + timedelta(days=1), variant="default"))[
            "conversations"
        ]
        == 12
    )


def test_every_figure_of_the_day(day):
    """One build (it takes a while), every check; each names what it checks."""
    check_conversations_escalation_and_containment(day)
    check_csat_counts_requests_ratings_and_segments(day)
    check_bot_response_times_count_normal_finishes_from_the_customer_message(day)
    check_handling_times_end_at_resolution_or_the_last_message(day)
    check_first_human_response_and_claim_wait_per_cycle(day)
    check_cycles_record_who_was_online_transfers_and_how_they_ended(day)
    check_safety_decisions_per_thousand_customer_messages(day)
    check_tokens_and_cost(day)
    check_filters_and_an_empty_window_give_nulls_not_zeros(day)
