"""Figures per day, for the charts: from the daily rollups when the window is whole days in
the rollups' time zone, otherwise counted from the facts in the window's time zone. Both
give the same numbers (tests/analytics/test_rollups.py)."""

from __future__ import annotations

from datetime import date, datetime, time

from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce, TruncDate

from supportbot.analytics.facts import rollup_zone
from supportbot.analytics.metrics import SELECTIONS, Window
from supportbot.analytics.models import ROLLUP_COUNTERS, DailyRollup


def _is_midnight(moment: datetime | None, window: Window) -> bool:
    if moment is None:
        return True
    return moment.astimezone(window.tz).timetz().replace(tzinfo=None) == time(0)


def uses_rollups(window: Window) -> bool:
    return (
        window.tz.key == rollup_zone().key
        and _is_midnight(window.start, window)
        and _is_midnight(window.end, window)
    )


def _from_rollups(window: Window) -> dict[date, dict]:
    rows = DailyRollup.objects.all()
    if window.start is not None:
        rows = rows.filter(day__gte=window.start.astimezone(window.tz).date())
    if window.end is not None:
        rows = rows.filter(day__lt=window.end.astimezone(window.tz).date())
    for name in ("language", "variant", "arm"):
        if getattr(window, name):
            rows = rows.filter(**{name: getattr(window, name)})
    totals = rows.values("day").annotate(**{c: Sum(c) for c in ROLLUP_COUNTERS})
    return {row.pop("day"): row for row in totals}


def fact_aggregates() -> dict:
    """The rollup counters as SQL over the facts, from the metrics' own selections."""
    sel = SELECTIONS
    prompt = F("reply_prompt_tokens") + F("draft_prompt_tokens") + F("translation_prompt_tokens")
    completion = (
        F("reply_completion_tokens")
        + F("draft_completion_tokens")
        + F("translation_completion_tokens")
    )
    return {
        "conversations": Count("pk"),
        "escalated": Count("pk", filter=sel["escalated"]),
        "escalated_before_bot_reply": Count("pk", filter=sel["escalated_before_bot_reply"]),
        "resolved": Count("pk", filter=sel["resolved"]),
        "contained": Count("pk", filter=sel["contained"]),
        "open": Count("pk", filter=sel["open"]),
        "csat_requested": Count("pk", filter=sel["csat_requested"]),
        "csat_responses": Count("pk", filter=sel["csat_responses"]),
        "csat_sum": Coalesce(Sum("csat_rating"), 0),
        "csat_top2": Count("pk", filter=sel["csat_top2"]),
        "customer_messages": Sum("customer_messages"),
        "safety_decisions": Sum(F("safety_blocks") + F("safety_escalations")),
        "prompt_tokens": Sum(prompt),
        "completion_tokens": Sum(completion),
        "engine_seconds": Sum("engine_seconds"),
    }


def _from_facts(window: Window) -> dict[date, dict]:
    rows = (
        window.facts()
        .annotate(local_day=TruncDate("started_at", tzinfo=window.tz))
        .values("local_day")
        .annotate(**fact_aggregates())
        .order_by("local_day")
    )
    return {row.pop("local_day"): row for row in rows}


def daily(window: Window) -> list[dict]:
    by_day = _from_rollups(window) if uses_rollups(window) else _from_facts(window)
    series = []
    for day in sorted(by_day):
        row = by_day[day]
        series.append(
            {
                "day": day.isoformat(),
                **{name: row[name] for name in ROLLUP_COUNTERS},
                "escalation_rate": _ratio(row["escalated"], row["conversations"]),
                "containment_rate": _ratio(row["contained"], row["resolved"]),
                "csat_mean": _ratio(row["csat_sum"], row["csat_responses"]),
            }
        )
    return series


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None
