"""``manage.py replay_eval --variant X --conversations N``: a candidate variant on past turns.

    manage.py replay_eval --variant qwen-short --conversations 200 --since 2025-06-01 --json

Answers the N newest answered customer turns again, with the candidate and with the default
variant, without showing anything to anyone, and compares the answers (docs/replay.md).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from supportbot.chat.language import normalize_locale
from supportbot.serving.replay import ReplayError, replay
from supportbot.serving.replay_summary import metric_at


def moment(value: str) -> datetime:
    """``2025-06-01`` (midnight, in the project's time zone) or an ISO 8601 date-time."""
    try:
        parsed = parse_datetime(value)
        day = parse_date(value) if parsed is None else None
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {value!r}") from exc
    if day is not None:
        parsed = datetime.combine(day, time.min)
    if parsed is None:
        raise argparse.ArgumentTypeError(f"not a date: {value!r} (use YYYY-MM-DD)")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class Command(BaseCommand):
    help = "Replay past customer turns against a candidate variant, beside the default."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--variant", required=True, help="the candidate variant's name")
        parser.add_argument(
            "--conversations", type=int, default=50,
            help="how many of the newest answered customer turns to replay (default 50)",
        )  # fmt: skip
        parser.add_argument("--since", type=moment, help="only turns from this date on")
        parser.add_argument("--language", help="only turns in this language (ISO 639-1)")
        parser.add_argument("--seed", type=int, help="sampling seed, reset for every turn")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options) -> None:
        if options["conversations"] < 1:
            raise CommandError("--conversations must be at least 1")
        language = options["language"]
        if language and normalize_locale(language) is None:
            raise CommandError(f"--language: not a language code: {language!r}")
        try:
            report = replay(
                options["variant"],
                limit=options["conversations"],
                since=options["since"],
                language=normalize_locale(language) if language else None,
                seed=options["seed"],
            )
        except ReplayError as exc:
            raise CommandError(str(exc)) from exc
        summary = report.summary()
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2))
        elif summary["turns"]:
            self.stdout.write(table(summary))
        if not summary["turns"]:
            note = "No answered customer turns to replay"
            if summary["without_model"]:
                note += f" ({summary['without_model']} are answered without a model)"
            # Beside the JSON, not in it: stdout stays one object.
            (self.stderr if options["json"] else self.stdout).write(note + ".")


TABLE_ROWS = (
    ("turns", "turns"),
    ("errors", "errors"),
    ("language match", "language_match.rate"),
    ("grounded", "grounded.rate"),
    ("safety flagged", "safety_flagged.rate"),
    ("reply tokens, mean", "reply_tokens.mean"),
    ("reply tokens, p50", "reply_tokens.p50"),
    ("reply chars, mean", "reply_chars.mean"),
    ("reply chars, p50", "reply_chars.p50"),
    ("TTFT p50 (s)", "ttft_s.p50"),
    ("TTFT p90 (s)", "ttft_s.p90"),
    ("complete p50 (s)", "complete_s.p50"),
    ("complete p90 (s)", "complete_s.p90"),
)


def table(summary: dict[str, Any]) -> str:
    """``summary`` as a plain-text table: a row per figure, the candidate beside the default."""
    candidate, default = summary["candidate"], summary["default"]
    mine, theirs = summary["variants"][candidate], summary["variants"][default]
    rows = [("", f"{candidate} (candidate)", f"{default} (default)", "difference")]
    for label, path in TABLE_ROWS:
        a, b = metric_at(mine, path), metric_at(theirs, path)
        change = None if a is None or b is None else a - b
        rows.append((label, _cell(a), _cell(b), _cell(change, signed=True)))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = []
    for label, *cells in rows:
        numbers = [cell.rjust(width) for cell, width in zip(cells, widths[1:], strict=True)]
        lines.append("  ".join([label.ljust(widths[0]), *numbers]))
    if summary["without_model"]:
        lines.append(f"({summary['without_model']} more turns are answered without a model)")
    return "\n".join(lines)


def _cell(value: float | None, *, signed: bool = False) -> str:
    if value is None:
        return "-"
    if isinstance(value, int):
        return f"{value:+d}" if signed else str(value)
    return f"{value:+.4g}" if signed else f"{value:.4g}"
