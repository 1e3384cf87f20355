"""Where days begin: windows and daily series across midnight and the start of summer time,
the daily rollups against a count over the facts, and percentiles of one value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from supportbot.analytics import facts, metrics, rollups, series
from supportbot.analytics.models import ConversationFact, DailyRollup
from tests.analytics.history import Chat, Clock

pytestmark = pytest.mark.django_db(transaction=True)

BERLIN = ZoneInfo("Europe/Berlin")
# Summer time starts in Berlin on 2026-03-29 at 02:00 CET: that day has 23 hours.
STARTS = {
    "sat_last_second": datetime(2026, 3, 28, 22, 59, 59, tzinfo=UTC),  # 23:59:59 CET, Sat
    "sun_midnight": datetime(2026, 3, 28, 23, 0, tzinfo=UTC),  # 00:00 CET, Sunday
    "sun_last_second": datetime(2026, 3, 29, 21, 59, 59, tzinfo=UTC),  # 23:59:59 CEST
    "mon_midnight": datetime(2026, 3, 29, 22, 0, tzinfo=UTC),  # 00:00 CEST, Monday
}


@pytest.fixture
def around_summer_time(demo_kb) -> dict[str, Chat]:
    chats = {}
    with Clock(STARTS["sat_last_second"]) as clock:
        for name, moment in STARTS.items():
            chats[name] = Chat(clock.at(moment))
            chats[name].customer()
        chats["sun_midnight"].bot_reply(first_token_s=0.25, complete_s=1.5)
        clock.after(60)
        chats["sun_midnight"].customer_resolves()
    return chats


def test_a_berlin_day_across_the_clock_change_has_its_own_conversations(around_summer_time):
    sunday = metrics.Window(
        start=datetime(2026, 3, 29, tzinfo=BERLIN), end=datetime(2026, 3, 30, tzinfo=BERLIN),
        tz=BERLIN,
    )  # fmt: skip
    assert sunday.end.astimezone(UTC) - sunday.start.astimezone(UTC) == timedelta(hours=23)
    assert metrics.summary(sunday)["conversations"] == 2  # sun_midnight, sun_last_second
    utc_sunday = metrics.Window(start=datetime(2026, 3, 29, tzinfo=UTC),
                                end=datetime(2026, 3, 30, tzinfo=UTC))  # fmt: skip
    assert metrics.summary(utc_sunday)["conversations"] == 2  # sun_last_second, mon_midnight
    days = {row["day"]: row["conversations"] for row in series.daily(
        metrics.Window(tz=BERLIN))}  # fmt: skip
    assert days == {"2026-03-28": 1, "2026-03-29": 2, "2026-03-30": 1}


def test_one_value_is_every_percentile(around_summer_time):
    summary = metrics.summary(metrics.Window())
    assert summary["bot_response_ms"]["first_token"] == {
        "mean": 250.0, "p50": 250.0, "p90": 250.0, "n": 1,
    }  # fmt: skip
    assert summary["handling_time_s"]["all"] == {"mean": 61.5, "p50": 61.5, "p90": 61.5, "n": 1}


def test_rollups_equal_a_count_over_the_facts(around_summer_time):
    whole = metrics.Window()  # midnight to midnight in the rollups' zone (UTC)
    assert series.uses_rollups(whole)
    from_rollups = series.daily(whole)
    berlin_days = metrics.Window(tz=BERLIN)
    assert not series.uses_rollups(berlin_days)
    odd_hours = metrics.Window(start=datetime(2026, 3, 1, 0, 0, 1, tzinfo=UTC))
    assert not series.uses_rollups(odd_hours)
    assert series.daily(odd_hours) == from_rollups  # counted from the facts, same numbers
    assert [(r["day"], r["conversations"]) for r in from_rollups] == [
        ("2026-03-28", 2), ("2026-03-29", 2),
    ]  # fmt: skip
    # Recounting from scratch changes nothing: the deltas kept them exact.
    before = sorted(DailyRollup.objects.values_list("day", "conversations", "resolved"))
    rollups.rebuild_all()
    assert sorted(DailyRollup.objects.values_list("day", "conversations", "resolved")) == before


def test_deleting_a_conversation_takes_it_out_of_the_rollups(around_summer_time):
    around_summer_time["sun_midnight"].conversation.delete()
    assert ConversationFact.objects.count() == 3
    totals = {r["day"]: r["resolved"] for r in series.daily(metrics.Window())}
    assert totals == {"2026-03-28": 0, "2026-03-29": 0}
    assert sum(DailyRollup.objects.values_list("conversations", flat=True)) == 3


def test_rebuilding_a_fact_from_its_rows_changes_nothing(around_summer_time):
    chat = around_summer_time["sun_midnight"]
    before = ConversationFact.objects.filter(pk=chat.pk).values().get()
    facts.rebuild(chat.pk)
    after = ConversationFact.objects.filter(pk=chat.pk).values().get()
    before.pop("updated_at"), after.pop("updated_at")
    assert after == before
