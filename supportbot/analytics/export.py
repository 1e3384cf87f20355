"""The per-conversation CSV: one row per conversation in the window, streamed in chunks so a
million rows never sit in memory. No texts and no contact details: ids, times, codes and
counts only. Summing its columns gives the summary's counts (tests/analytics/test_export.py).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator

from django.db.models import Q

from supportbot.analytics.metrics import Window

COLUMNS = (
    "conversation", "started_at", "day", "language", "variant", "arm", "state", "segment",
    "customer_messages", "bot_replies", "escalations", "escalation_reason",
    "escalated_before_bot_reply", "resolved_at", "resolve_reason", "ended_at", "handling_s",
    "agent_handling_s", "agent", "csat_requested", "csat_rating", "safety_blocks",
    "safety_escalations", "reply_prompt_tokens", "reply_completion_tokens",
    "draft_prompt_tokens", "draft_completion_tokens", "translation_prompt_tokens",
    "translation_completion_tokens", "engine_seconds",
)  # fmt: skip
CHUNK = 2000


class _Line:
    """csv.writer's file: hands back each line instead of keeping it."""

    def write(self, line: str) -> str:
        return line


# A spreadsheet runs a cell that starts like a formula; names (agents, variants) could.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str | int | float:
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def rows(window: Window, condition: Q | None = None) -> Iterator[list]:
    facts = window.facts()
    if condition is not None:
        facts = facts.filter(condition)
    fields = [c for c in COLUMNS if c not in ("conversation", "day", "agent")]
    values = facts.order_by("started_at", "pk").values("public_id", "agent__username", *fields)
    for fact in values.iterator(chunk_size=CHUNK):
        local = fact["started_at"].astimezone(window.tz)
        fact["conversation"] = fact.pop("public_id")
        fact["agent"] = fact.pop("agent__username")
        fact["day"] = local.date().isoformat()
        for name in ("started_at", "resolved_at", "ended_at"):
            if fact[name] is not None:
                fact[name] = fact[name].astimezone(window.tz).isoformat()
        yield [_cell(fact[c]) for c in COLUMNS]


def csv_lines(window: Window, condition: Q | None = None) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for row in rows(window, condition):
        yield writer.writerow(row)
