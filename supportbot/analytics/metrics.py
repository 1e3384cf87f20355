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

from supportbot.analytics.distributions import distribution
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


def _counts(facts: QuerySet, **named: Q) -> dict:
    return facts.aggregate(**{name: Count("pk", filter=q) for name, q in named.items()})


def _split(facts: QuerySet, column: str, condition: Q = EVERYTHING) -> dict[str, int]:
    rows = facts.filter(condition).values(column).annotate(n=Count("pk")).order_by(column)
    return {row[column]: row["n"] for row in rows}


def escalation(facts: QuerySet) -> dict:
    c = _counts(facts, **{k: SELECTIONS[k] for k in ("started", "escalated")},
                before=SELECTIONS["escalated_before_bot_reply"])  # fmt: skip
    return {
        **rate(c["escalated"], c["started"]),
        "before_bot_reply": rate(c["before"], c["started"]),
        "by_reason": _split(facts, "escalation_reason", SELECTIONS["escalated"]),
    }


def containment(facts: QuerySet) -> dict:
    c = _counts(facts, **{k: SELECTIONS[k] for k in ("resolved", "contained", "open")})
    resolved = _split(facts, "resolve_reason", SELECTIONS["resolved"])
    contained = _split(facts, "resolve_reason", SELECTIONS["contained"])
    return {
        **rate(c["contained"], c["resolved"]),
        "open": c["open"],
        "by_resolve_reason": {
            reason: rate(contained.get(reason, 0), n) for reason, n in resolved.items()
        },
    }


def csat(facts: QuerySet) -> dict:
    found = facts.aggregate(
        requested=Count("pk", filter=SELECTIONS["csat_requested"]),
        responses=Count("pk", filter=SELECTIONS["csat_responses"]),
        answered=Count("pk", filter=SELECTIONS["csat_answered_requests"]),
        top2=Count("pk", filter=SELECTIONS["csat_top2"]),
        total=Sum("csat_rating"),
    )
    responses = found["responses"]
    return {
        "mean": found["total"] / responses if responses else None,
        "responses": responses,
        "requested": found["requested"],
        "rating_sum": found["total"] or 0,
        "top2_share": rate(found["top2"], responses),
        "response_rate": rate(found["answered"], found["requested"]),
    }


def csat_by_segment(facts: QuerySet) -> dict:
    return {segment: csat(facts.filter(segment=segment)) for segment in Segment.values}


def handling_time(facts: QuerySet) -> dict:
    resolved = facts.filter(SELECTIONS["resolved"])
    return {
        "all": distribution(resolved, "handling_s"),
        "bot_only": distribution(resolved.filter(escalations=0), "handling_s"),
        "escalated": distribution(resolved.filter(escalations__gt=0), "handling_s"),
    }


def first_human_response(cycles: QuerySet) -> dict:
    answered = distribution(cycles, "first_response_s")
    total = cycles.count()
    return {**answered, "cycles": total, "unanswered": total - answered["n"]}


def safety(window: Window, facts: QuerySet) -> dict:
    messages = facts.aggregate(n=Sum("customer_messages"))["n"] or 0
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


def tokens(facts: QuerySet) -> dict:
    columns = [f"{p}_{kind}_tokens" for p in TOKEN_PURPOSES for kind in ("prompt", "completion")]
    sums = facts.aggregate(**{c: Sum(c) for c in columns}, engine_seconds=Sum("engine_seconds"))
    by_purpose = {
        p: {k: sums[f"{p}_{k}_tokens"] or 0 for k in ("prompt", "completion")}
        for p in TOKEN_PURPOSES
    }
    return {
        **by_purpose,
        "total": {
            k: sum(by_purpose[p][k] for p in TOKEN_PURPOSES) for k in ("prompt", "completion")
        },
        "engine_seconds": round(sums["engine_seconds"] or 0.0, 6),
    }


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
    """The JSON of ``GET /dashboard/api/summary`` (docs/dashboard.md)."""
    facts = window.facts()
    cycles = window.restrict(EscalationFact.objects.all())
    replies = window.restrict(ReplyFact.objects.filter(normal=True))
    contained = containment(facts)
    token_totals = tokens(facts)
    resolved = contained["denominator"]
    claimed = cycles.filter(claimed_at__isnull=False)
    return {
        "window": window.describe(),
        "conversations": facts.count(),
        "resolved": resolved,
        "open": contained["open"],
        "escalation_rate": escalation(facts),
        "containment_rate": contained,
        "csat": {**csat(facts), "by_segment": csat_by_segment(facts)},
        "bot_response_ms": {
            "first_token": distribution(replies, "first_token_ms"),
            "complete": distribution(replies, "complete_ms"),
        },
        "handling_time_s": handling_time(facts),
        "agent_handling_s": distribution(facts.filter(SELECTIONS["resolved"]), "agent_handling_s"),
        "first_human_response_s": first_human_response(cycles),
        "wait_to_claim_s": {
            **distribution(claimed, "wait_s"),
            "cycles": cycles.count(),
            "unclaimed": cycles.filter(claimed_at__isnull=True).count(),
        },
        "safety": safety(window, facts),
        "tokens": token_totals,
        "cost": cost(token_totals, resolved),
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
        totals = tokens(facts)
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
