"""The metric definitions (docs/metrics.md): the one place the dashboard, its JSON and CSV,
experiments and tests take their numbers from.

Everything is read from the fact tables (``models``). A conversation counts when its
``started_at`` falls in [from, to); every figure about it (its escalations, rating, tokens)
counts with it, whenever that happened. Every rate carries its numerator and denominator,
and an empty denominator gives null, never 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Avg, Count, Q, QuerySet, Sum

from supportbot.analytics.distributions import distributions
from supportbot.analytics.models import ConversationFact, EscalationFact, ReplyFact, Segment
from supportbot.safety.models import SafetyEvent
from supportbot.safety.verdict import Action

# The conversations behind each count: the numerators below and the drill-down lists use
# the same conditions, so a number and its list always agree.
SELECTIONS: dict[str, Q] = {
    "started": Q(),
    "escalated": Q(escalations__gt=0),
    "escalated_before_bot_reply": Q(escalated_before_bot_reply=True),
    "resolved": Q(resolved_at__isnull=False),
    "contained": Q(resolved_at__isnull=False, escalations=0),
    "open": Q(resolved_at__isnull=True),
    "csat_requested": Q(csat_requested=True),
    "csat_responses": Q(csat_rating__isnull=False),
    "csat_answered_requests": Q(csat_requested=True, csat_rating__isnull=False),
    "csat_top2": Q(csat_rating__gte=4),
    "safety": Q(safety_blocks__gt=0) | Q(safety_escalations__gt=0),
}
# Selections with a value: "reason:customer_request", "segment:human", ...
PARAMETRISED = {
    "reason": "escalation_reason",
    "resolve_reason": "resolve_reason",
    "segment": "segment",
    "language": "language",
    "variant": "variant",
    "arm": "arm",
    "agent": "agent_id",
}
TOKEN_PURPOSES = ("reply", "draft", "translation")
UTC_ZONE = ZoneInfo("UTC")
EVERYTHING = Q()


class UnknownSelection(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"select: unknown selection {name!r}")


def selection(name: str) -> Q:
    if name in SELECTIONS:
        return SELECTIONS[name]
    kind, _, value = name.partition(":")
    if kind in PARAMETRISED and value:
        return Q(**{PARAMETRISED[kind]: value})
    raise UnknownSelection(name)


@dataclass(frozen=True, slots=True)
class Window:
    """Which conversations count: started in [start, end), optionally one language, variant
    or arm; ``tz`` is where days begin (for series and the CSV's local times)."""

    start: datetime | None = None
    end: datetime | None = None
    tz: ZoneInfo = UTC_ZONE
    language: str = ""
    variant: str = ""
    arm: str = ""

    def restrict(self, queryset: QuerySet) -> QuerySet:
        rows = queryset.filter(started_at__isnull=False)
        if self.start is not None:
            rows = rows.filter(started_at__gte=self.start)
        if self.end is not None:
            rows = rows.filter(started_at__lt=self.end)
        for name in ("language", "variant", "arm"):
            if getattr(self, name):
                rows = rows.filter(**{name: getattr(self, name)})
        return rows

    def facts(self) -> QuerySet[ConversationFact]:
        return self.restrict(ConversationFact.objects.all())

    def describe(self) -> dict:
        return {
            "from": self.start.isoformat() if self.start else None,
            "to": self.end.isoformat() if self.end else None,
            "tz": self.tz.key,
            "language": self.language or None,
            "variant": self.variant or None,
            "arm": self.arm or None,
        }


def rate(numerator: int | float, denominator: int | float) -> dict:
    return {
        "value": numerator / denominator if denominator else None,
        "numerator": numerator,
        "denominator": denominator,
    }


def _count(condition: Q) -> Count:
    return Count("pk", filter=condition) if condition is not EVERYTHING else Count("pk")


def _segment_csat(segment: str) -> dict:
    """CSAT counts of one segment, as aggregates (``csat`` shapes them)."""
    only = Q(segment=segment)
    return {
        f"{segment}__requested": Count("pk", filter=only & SELECTIONS["csat_requested"]),
        f"{segment}__responses": Count("pk", filter=only & SELECTIONS["csat_responses"]),
        f"{segment}__answered": Count("pk", filter=only & SELECTIONS["csat_answered_requests"]),
        f"{segment}__top2": Count("pk", filter=only & SELECTIONS["csat_top2"]),
        f"{segment}__total": Sum("csat_rating", filter=only),
    }


def fact_totals(facts: QuerySet) -> dict:
    """Every count and sum the summary needs from the conversation facts, in one query (a
    large window reads the table once)."""
    token_columns = [f"{p}_{k}_tokens" for p in TOKEN_PURPOSES for k in ("prompt", "completion")]
    aggregates = {
        name: _count(SELECTIONS[name])
        for name in ("started", "escalated", "escalated_before_bot_reply", "resolved",
                     "contained", "open")
    }  # fmt: skip
    aggregates.update(
        {
            "all__requested": Count("pk", filter=SELECTIONS["csat_requested"]),
            "all__responses": Count("pk", filter=SELECTIONS["csat_responses"]),
            "all__answered": Count("pk", filter=SELECTIONS["csat_answered_requests"]),
            "all__top2": Count("pk", filter=SELECTIONS["csat_top2"]),
            "all__total": Sum("csat_rating"),
            "customer_messages": Sum("customer_messages"),
            "engine_seconds": Sum("engine_seconds"),
            **{column: Sum(column) for column in token_columns},
        }
    )
    for segment in Segment.values:
        aggregates.update(_segment_csat(segment))
    return facts.aggregate(**aggregates)


def fact_splits(facts: QuerySet) -> dict[str, dict[str, int]]:
    """Escalations by first reason, resolutions and containment by resolve reason: one
    GROUP BY."""
    rows = facts.values("escalation_reason", "resolve_reason").annotate(
        escalated=Count("pk", filter=SELECTIONS["escalated"]),
        resolved=Count("pk", filter=SELECTIONS["resolved"]),
        contained=Count("pk", filter=SELECTIONS["contained"]),
    )
    splits: dict[str, dict[str, int]] = {"escalated": {}, "resolved": {}, "contained": {}}
    for row in rows.order_by():
        for name, key in (("escalated", "escalation_reason"), ("resolved", "resolve_reason"),
                          ("contained", "resolve_reason")):  # fmt: skip
            if row[name]:
                split = splits[name]
                split[row[key]] = split.get(row[key], 0) + row[name]
    return {name: dict(sorted(split.items())) for name, split in splits.items()}


def escalation(totals: dict, splits: dict) -> dict:
    return {
        **rate(totals["escalated"], totals["started"]),
        "before_bot_reply": rate(totals["escalated_before_bot_reply"], totals["started"]),
        "by_reason": splits["escalated"],
    }


def containment(totals: dict, splits: dict) -> dict:
    return {
        **rate(totals["contained"], totals["resolved"]),
        "open": totals["open"],
        "by_resolve_reason": {
            reason: rate(splits["contained"].get(reason, 0), n)
            for reason, n in splits["resolved"].items()
        },
    }


def csat(totals: dict, group: str = "all") -> dict:
    """``group``: "all" or a segment (``fact_totals`` counts both)."""
    responses = totals[f"{group}__responses"]
    total = totals[f"{group}__total"] or 0
    return {
        "mean": total / responses if responses else None,
        "responses": responses,
        "requested": totals[f"{group}__requested"],
        "rating_sum": total,
        "top2_share": rate(totals[f"{group}__top2"], responses),
        "response_rate": rate(totals[f"{group}__answered"], totals[f"{group}__requested"]),
    }


def safety(facts: QuerySet, messages: int) -> dict:
    decisions = SafetyEvent.objects.filter(
        conversation__fact__in=facts,
        direction__in=(SafetyEvent.Direction.INPUT, SafetyEvent.Direction.OUTPUT),
        action__in=(Action.BLOCK, Action.ESCALATE),
    ).values_list("action", "direction", "categories")
    by_category: dict[str, dict[str, int]] = {}
    by_direction: dict[str, int] = {}
    total = {str(Action.BLOCK): 0, str(Action.ESCALATE): 0}
    for action, direction, categories in decisions.iterator(chunk_size=2000):
        total[action] += 1
        by_direction[direction] = by_direction.get(direction, 0) + 1
        for category in categories or ["uncategorised"]:
            counts = by_category.setdefault(category, {"block": 0, "escalate": 0})
            counts[action] += 1
    return {
        "customer_messages": messages,
        "per_1000_messages": {name: _per_thousand(n, messages) for name, n in total.items()},
        "by_category": {
            category: {name: _per_thousand(n, messages) for name, n in counts.items()}
            for category, counts in sorted(by_category.items())
        },
        "by_direction": by_direction,
    }


def _per_thousand(decisions: int, messages: int) -> dict:
    return {
        "value": 1000 * decisions / messages if messages else None,
        "numerator": decisions,
        "denominator": messages,
    }


def tokens(totals: dict) -> dict:
    by_purpose = {
        p: {k: totals[f"{p}_{k}_tokens"] or 0 for k in ("prompt", "completion")}
        for p in TOKEN_PURPOSES
    }
    return {
        **by_purpose,
        "total": {
            k: sum(by_purpose[p][k] for p in TOKEN_PURPOSES) for k in ("prompt", "completion")
        },
        "engine_seconds": round(totals["engine_seconds"] or 0.0, 6),
    }


def token_totals(facts: QuerySet) -> dict:
    columns = [f"{p}_{k}_tokens" for p in TOKEN_PURPOSES for k in ("prompt", "completion")]
    return tokens(
        facts.aggregate(**{c: Sum(c) for c in columns}, engine_seconds=Sum("engine_seconds"))
    )


def cost(token_totals: dict, resolved: int) -> dict:
    """Engine time priced per GPU-hour, per 1M tokens and per resolved conversation."""
    price = settings.SUPPORTBOT["GPU_HOUR_PRICE"]
    spent = token_totals["engine_seconds"] / 3600 * price
    all_tokens = token_totals["total"]["prompt"] + token_totals["total"]["completion"]
    per_million = rate(spent, all_tokens / 1_000_000)
    return {
        "gpu_hour_price": price,
        "currency": settings.SUPPORTBOT["GPU_PRICE_CURRENCY"],
        "engine_hours": token_totals["engine_seconds"] / 3600,
        "total": spent if price else None,
        "per_1m_tokens": per_million if price else rate(0, 0),
        "per_resolved_conversation": rate(spent, resolved) if price else rate(0, 0),
    }


def summary(window: Window) -> dict:
    """The JSON of ``GET /dashboard/api/summary`` (docs/dashboard.md). Six queries whatever
    the window: each fact table is read once."""
    facts = window.facts()
    totals = fact_totals(facts)
    splits = fact_splits(facts)
    resolved_only = SELECTIONS["resolved"]
    times = distributions(facts, {
        "all": ("handling_s", resolved_only),
        "bot_only": ("handling_s", resolved_only & Q(escalations=0)),
        "escalated": ("handling_s", resolved_only & Q(escalations__gt=0)),
        "agent": ("agent_handling_s", resolved_only),
    })  # fmt: skip
    replies = distributions(window.restrict(ReplyFact.objects.filter(normal=True)), {
        "first_token": ("first_token_ms", None),
        "complete": ("complete_ms", None),
    })  # fmt: skip
    cycles = window.restrict(EscalationFact.objects.all())
    cycle_counts = cycles.aggregate(
        cycles=Count("pk"), unclaimed=Count("pk", filter=Q(claimed_at__isnull=True))
    )
    human = distributions(cycles, {
        "first_response": ("first_response_s", None),
        "wait": ("wait_s", Q(claimed_at__isnull=False)),
    })  # fmt: skip
    used = tokens(totals)
    resolved = totals["resolved"]
    return {
        "window": window.describe(),
        "conversations": totals["started"],
        "resolved": resolved,
        "open": totals["open"],
        "escalation_rate": escalation(totals, splits),
        "containment_rate": containment(totals, splits),
        "csat": {
            **csat(totals),
            "by_segment": {segment: csat(totals, segment) for segment in Segment.values},
        },
        "bot_response_ms": replies,
        "handling_time_s": {k: times[k] for k in ("all", "bot_only", "escalated")},
        "agent_handling_s": times["agent"],
        "first_human_response_s": {
            **human["first_response"],
            "cycles": cycle_counts["cycles"],
            "unanswered": cycle_counts["cycles"] - human["first_response"]["n"],
        },
        "wait_to_claim_s": {
            **human["wait"],
            "cycles": cycle_counts["cycles"],
            "unclaimed": cycle_counts["unclaimed"],
        },
        "safety": safety(facts, totals["customer_messages"] or 0),
        "tokens": used,
        "cost": cost(used, resolved),
    }


def breakdown(window: Window, column: str) -> list[dict]:
    """One row per language, variant or arm: counts, rates and CSAT (tables on the page)."""
    rows = (
        window.facts()
        .values(column)
        .annotate(
            conversations=Count("pk"),
            escalated=Count("pk", filter=SELECTIONS["escalated"]),
            resolved=Count("pk", filter=SELECTIONS["resolved"]),
            contained=Count("pk", filter=SELECTIONS["contained"]),
            responses=Count("pk", filter=SELECTIONS["csat_responses"]),
            rating_sum=Sum("csat_rating"),
            handling_mean=Avg("handling_s", filter=SELECTIONS["resolved"]),
            engine_seconds=Sum("engine_seconds"),
        )
        .order_by("-conversations", column)
    )
    return [
        {
            "key": row[column],
            "conversations": row["conversations"],
            "escalation_rate": rate(row["escalated"], row["conversations"]),
            "containment_rate": rate(row["contained"], row["resolved"]),
            "csat_mean": row["rating_sum"] / row["responses"] if row["responses"] else None,
            "csat_responses": row["responses"],
            "handling_mean_s": row["handling_mean"],
            "engine_seconds": row["engine_seconds"] or 0.0,
        }
        for row in rows
    ]


def variant_costs(window: Window) -> list[dict]:
    """The seed's cost table, per variant: tokens, engine hours and what they cost."""
    table = []
    for variant in window.facts().values_list("variant", flat=True).distinct().order_by():
        facts = window.facts().filter(variant=variant)
        totals = token_totals(facts)
        resolved = facts.filter(SELECTIONS["resolved"]).count()
        table.append({"variant": variant, "tokens": totals, "cost": cost(totals, resolved)})
    return sorted(table, key=lambda row: row["variant"])


def agents(window: Window) -> list[dict]:
    """Per agent, from the escalation cycles they held: claims, waits, first responses,
    time in the chat, and the rating of the conversations they had last."""
    cycles = window.restrict(EscalationFact.objects.filter(agent__isnull=False))
    rows = cycles.values("agent_id", "agent__username").annotate(
        cycles=Count("pk"),
        answered=Count("first_response_s"),
        first_response_mean_s=Avg("first_response_s"),
        wait_mean_s=Avg("wait_s"),
        agent_s=Sum("agent_s"),
        transfers=Sum("transfers"),
    )
    # The conversations they had last: what ``select=agent:<id>`` lists, with their ratings.
    ratings = {
        row["agent_id"]: row
        for row in window.facts()
        .filter(agent__isnull=False)
        .values("agent_id")
        .annotate(
            conversations=Count("pk"),
            responses=Count("pk", filter=SELECTIONS["csat_responses"]),
            rating_sum=Sum("csat_rating"),
        )
    }
    table = []
    for row in rows.order_by("agent__username"):
        rated = ratings.get(row["agent_id"], {"conversations": 0, "responses": 0})
        table.append(
            {
                "agent": row["agent__username"],
                "agent_id": row["agent_id"],
                "cycles": row["cycles"],
                "answered_cycles": row["answered"],
                "first_response_mean_s": row["first_response_mean_s"],
                "wait_mean_s": row["wait_mean_s"],
                "agent_time_s": row["agent_s"] or 0.0,
                "transfers": row["transfers"] or 0,
                "conversations": rated["conversations"],
                "csat_mean": rated["rating_sum"] / rated["responses"]
                if rated["responses"]
                else None,
                "csat_responses": rated["responses"],
            }
        )
    return table
