"""Daily rollups: each conversation's counts added to its day, language, variant and arm.

A conversation's fact changes many times; each change moves the difference between its old
and new contribution into the rollup rows, in the same transaction, so the rollups always
equal a count over the facts (``rebuild_all`` recounts them from scratch).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from supportbot.analytics.models import ROLLUP_COUNTERS, ConversationFact, DailyRollup

Key = tuple  # (day, language, variant, arm)


def contribution(fact: ConversationFact | None) -> tuple[Key, dict] | None:
    """What one conversation adds to its rollup row (None before it started)."""
    if fact is None or fact.started_at is None or fact.day is None:
        return None
    resolved = fact.resolved_at is not None
    rated = fact.csat_rating is not None
    counts = {
        "conversations": 1,
        "escalated": int(fact.escalations > 0),
        "escalated_before_bot_reply": int(fact.escalated_before_bot_reply),
        "resolved": int(resolved),
        "contained": int(resolved and fact.escalations == 0),
        "open": int(not resolved),
        "csat_requested": int(fact.csat_requested),
        "csat_responses": int(rated),
        "csat_sum": fact.csat_rating or 0,
        "csat_top2": int(rated and fact.csat_rating >= 4),
        "customer_messages": fact.customer_messages,
        "safety_decisions": fact.safety_blocks + fact.safety_escalations,
        "prompt_tokens": fact.reply_prompt_tokens
        + fact.draft_prompt_tokens
        + fact.translation_prompt_tokens,
        "completion_tokens": fact.reply_completion_tokens
        + fact.draft_completion_tokens
        + fact.translation_completion_tokens,
        "engine_seconds": fact.engine_seconds,
    }
    return (fact.day, fact.language, fact.variant, fact.arm), counts


def _add(key: Key, counts: dict, sign: int) -> None:
    changes = {name: F(name) + sign * value for name, value in counts.items() if value}
    if not changes:
        return
    day, language, variant, arm = key
    group = {"day": day, "language": language, "variant": variant, "arm": arm}
    # Insert the row if missing without failing on a racing insert, then add in SQL.
    DailyRollup.objects.bulk_create([DailyRollup(**group)], ignore_conflicts=True)
    DailyRollup.objects.filter(**group).update(**changes)


def apply_change(before: ConversationFact | None, after: ConversationFact | None) -> None:
    old, new = contribution(before), contribution(after)
    if old == new:
        return
    if old is not None and new is not None and old[0] == new[0]:
        delta = {name: new[1][name] - old[1][name] for name in ROLLUP_COUNTERS}
        _add(new[0], delta, +1)
        return
    if old is not None:
        _add(old[0], old[1], -1)
    if new is not None:
        _add(new[0], new[1], +1)


def rebuild_all() -> int:
    """Recount every rollup row from the facts (after a change of definition or time zone)."""
    with transaction.atomic():
        DailyRollup.objects.all().delete()
        totals: dict[Key, dict] = {}
        facts = ConversationFact.objects.filter(started_at__isnull=False)
        for fact in facts.iterator(chunk_size=2000):
            key, counts = contribution(fact)
            row = totals.setdefault(key, dict.fromkeys(ROLLUP_COUNTERS, 0))
            for name, value in counts.items():
                row[name] += value
        DailyRollup.objects.bulk_create(
            [
                DailyRollup(day=k[0], language=k[1], variant=k[2], arm=k[3], **v)
                for k, v in totals.items()
            ],
            batch_size=1000,
        )
    return len(totals)
