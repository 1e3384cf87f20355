"""What the dashboard's queries cost on a year of history, on PostgreSQL.

    python bench/dashboard.py --conversations 1000000 --json \
        [--database-url postgres://postgres@127.0.0.1:5432/supportbot_bench]

Drops and creates its own database (the name must contain "bench"), migrates it and loads
``--conversations`` synthetic conversations spread over 365 days straight into the tables the
dashboard reads: ``chat.Conversation`` (the facts' key), the bot replies' ``chat.Message`` rows
(the reply facts' key), ``ConversationFact``, about 1.5 ``ReplyFact`` per conversation, an
``EscalationFact`` per hand-over and a few ``SafetyEvent`` rows, with psycopg's COPY. Writing a
million conversations through the services (``manage.py seed_demo``) would take days, so the
mixes are seed_demo's drawn with numpy instead. Then ``rollups.rebuild_all()`` and
VACUUM ANALYZE (what autovacuum leaves a long-lived database in).

It times, over ``--repeats`` runs after one warm-up: ``metrics.summary`` for the dashboard's
default window (the last 30 days, whole days) and for all time, ``series.daily`` and
``metrics.breakdown`` for 30 days, the whole tables endpoint; and streams the CSV export
(``export.csv_lines``) for 100k and for all rows, reporting rows/s and the memory it peaks at
(tracemalloc, and the RSS growth) to show the memory stays flat. The slowest queries of each
summary are profiled; with a missed target their EXPLAIN ANALYZE plans come too.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import sys
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/supportbot_bench"
TARGETS = {"summary_30d_p95_ms": 1000, "summary_all_p95_ms": 3000}
DAYS = 365
CHUNK = 50_000
AGENTS = 20
REASONS = {"customer_request": 30, "customer_button": 22, "bot_cannot_help": 25,
           "negative_sentiment": 15, "safety": 5, "no_progress": 3}  # fmt: skip
REPLIES_PER_CONVERSATION = {0: 7, 1: 48, 2: 30, 3: 15}  # mean 1.53
FINISHES = {"stop": 92, "length": 5, "no_source": 2, "safety": 1}
RATINGS = {"bot_only": (6, 7, 14, 35, 38), "human": (3, 4, 8, 30, 55),
           "escalated_unclaimed": (28, 22, 22, 16, 12)}  # fmt: skip


def log(message: str) -> None:
    print(f"[dashboard bench] {message}", file=sys.stderr, flush=True)


# --- the database -----------------------------------------------------------------------------


def recreate_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: the bench's database name must say bench")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(url: str) -> None:
    os.environ.setdefault("DEBUG", "1")  # the dev SECRET_KEY; queries are not logged (below)
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "supportbot.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.conf import settings

    django.setup()
    settings.DEBUG = False  # no query log growing while a million rows stream


# --- synthetic history --------------------------------------------------------------------------


def _weights(mapping: dict) -> tuple[list, np.ndarray]:
    keys = list(mapping)
    values = np.array([float(v) for v in mapping.values()])
    return keys, values / values.sum()


def start_times(rng: np.random.Generator, n: int, now: datetime) -> np.ndarray:
    """``n`` first messages over the 365 days up to ``now`` (µs since the epoch, sorted): the
    daily and weekly pattern of seed_demo, and twice the traffic at the end of the year."""
    from supportbot.analytics.demo.timeline import HOURLY, WEEKDAY

    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = today - timedelta(days=DAYS - 1)
    day_weights = np.array(
        [
            (0.67 + 0.67 * i / DAYS) * WEEKDAY[(first + timedelta(days=i)).weekday()]
            for i in range(DAYS)
        ]
    )
    days = rng.choice(DAYS, n, p=day_weights / day_weights.sum())
    hours = rng.choice(24, n, p=np.array(HOURLY) / sum(HOURLY))
    micros = rng.integers(0, 3_600_000_000, n)
    base = int(first.timestamp() * 1_000_000)
    starts = base + days * 86_400_000_000 + hours * 3_600_000_000 + micros
    future = starts >= int(now.timestamp() * 1_000_000)
    starts[future] -= 86_400_000_000  # later today: yesterday instead
    return np.sort(starts)


def _datetimes(micros: np.ndarray) -> list:
    """Naive UTC datetimes (the connection's time zone is UTC); None where ``micros`` < 0."""
    values = micros.astype("datetime64[us]").tolist()
    return [None if m < 0 else v for v, m in zip(values, micros.tolist(), strict=True)]


def _where(values: np.ndarray, mask: np.ndarray) -> list:
    """``values`` as Python values, None where ``mask`` is false."""
    return [v if m else None for v, m in zip(values.tolist(), mask.tolist(), strict=True)]


class Loader:
    """Writes the rows of ``CHUNK`` conversations at a time with COPY."""

    def __init__(self, rng: np.random.Generator, now: datetime, agent_ids: list[int]) -> None:
        from supportbot.analytics.demo.texts import LANGUAGES
        from supportbot.analytics.facts import rollup_zone

        self.rng, self.now, self.agent_ids = rng, now, np.array(agent_ids)
        self.zone = rollup_zone()
        self.languages, self.language_p = _weights(LANGUAGES)
        self.reasons, self.reason_p = _weights(REASONS)
        self.replies, self.replies_p = _weights(REPLIES_PER_CONVERSATION)
        self.finishes, self.finish_p = _weights(FINISHES)
        self.rows: dict[str, int] = {}
        self.next_message = 1

    def copy(self, model, columns: dict, n: int) -> None:
        """COPY ``n`` rows into ``model``'s table. ``columns`` maps field names to a list (one
        value a row) or one value for all; other fields take their default (a NOT NULL field
        with none is a mistake here)."""
        from django.db import connection, models

        names, values = [], []
        for field in model._meta.concrete_fields:
            key = field.attname if field.attname in columns else field.name
            if key in columns:
                value = columns[key]
                per_row = isinstance(value, list)
            elif isinstance(field, models.AutoField):
                continue  # the identity column numbers them
            elif field.has_default() or (field.empty_strings_allowed and not field.null):
                value, per_row = field.get_default(), False
            elif field.null:
                value, per_row = None, False
            else:
                raise ValueError(f"{model.__name__}.{field.name}: NOT NULL and no value given")
            if isinstance(field, models.JSONField):
                value = [json.dumps(v) for v in value] if per_row else json.dumps(value)
            names.append(connection.ops.quote_name(field.column))
            values.append(value if per_row else itertools.repeat(value, n))
        table = model._meta.db_table
        statement = f"COPY {connection.ops.quote_name(table)} ({', '.join(names)}) FROM STDIN"
        with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
        self.rows[table] = self.rows.get(table, 0) + n

    def chunk(self, first_id: int, starts: np.ndarray) -> None:
        """Conversations ``first_id``... starting at ``starts`` (µs), with their facts."""
        from supportbot.analytics.models import ConversationFact
        from supportbot.chat.models import Conversation
        from supportbot.safety.models import SafetyEvent

        rng, n = self.rng, len(starts)
        ids = list(range(first_id, first_id + n))
        now_us = int(self.now.timestamp() * 1_000_000)
        age_s = (now_us - starts) / 1e6
        language = rng.choice(len(self.languages), n, p=self.language_p)
        languages = [self.languages[i] for i in language.tolist()]
        variant = np.where(rng.random(n) < 0.2, "candidate", "default").tolist()
        replies = rng.choice(self.replies, n, p=self.replies_p)
        escalated = rng.random(n) < 0.2
        escalations = escalated * (1 + (rng.random(n) < 0.05))
        reason = np.array(self.reasons)[rng.choice(len(self.reasons), n, p=self.reason_p)]
        reason = np.where(escalated, reason, "")
        claimed = escalated & (rng.random(n) < 0.65)
        segment = np.where(claimed, "human", np.where(escalated, "escalated_unclaimed", "bot_only"))
        # Open: most of the last hour's, a few of today's, almost none older.
        open_p = np.where(age_s < 3600, 0.7, np.where(age_s < 86_400, 0.05, 0.002))
        idle = ~escalated & (rng.random(n) < 0.5)
        handling = np.where(
            escalated, rng.lognormal(np.log(1100), 0.8, n), rng.lognormal(np.log(150), 0.9, n)
        )
        ended = starts + (handling * 1e6).astype(np.int64)
        resolved_at = np.where(idle, ended + 1_800_000_000, ended)
        resolved = (rng.random(n) >= open_p) & (resolved_at < now_us)
        resolved_at = np.where(resolved, resolved_at, -1)
        resolve_reason = np.where(
            idle, "idle_timeout", np.where(claimed, "agent_resolved", "customer_resolved")
        )
        resolve_reason = np.where(resolved, resolve_reason, "")
        rated = resolved & (rng.random(n) < np.where(idle, 0.2, 0.5))
        rating = np.zeros(n, dtype=np.int64)
        for name, weights in RATINGS.items():
            chosen = rng.choice(5, n, p=np.array(weights) / sum(weights)) + 1
            rating = np.where(segment == name, chosen, rating)
        agent = np.where(claimed, self.agent_ids[rng.integers(0, len(self.agent_ids), n)], 0)
        safety = rng.random(n) < 0.012
        safety_escalates = safety & (reason == "safety")
        reply_prompt = replies * rng.lognormal(np.log(900), 0.25, n).astype(np.int64)
        reply_completion = replies * rng.lognormal(np.log(55), 0.4, n).astype(np.int64)
        agent_messages = claimed * rng.integers(1, 5, n)
        draft_prompt = agent_messages * (rng.random(n) < 0.4) * 1100
        translated = claimed & ~np.isin(language, [0, 1])  # en, de: the team's languages
        translation_prompt = translated * agent_messages * 2 * 160
        engine = replies * rng.lognormal(np.log(1.8), 0.4, n) + agent_messages * 0.9
        state = np.where(
            resolved, "resolved",
            np.where(claimed, "agent", np.where(escalated, "waiting_agent", "bot")),
        )  # fmt: skip
        started = _datetimes(starts)
        resolved_dt = _datetimes(resolved_at)
        days = [s.replace(tzinfo=UTC).astimezone(self.zone).date() for s in started]
        public_ids = [uuid.UUID(int=v) for v in rng.integers(0, 2**63, n).tolist()]
        self.copy(
            Conversation,
            {
                "id": ids, "public_id": public_ids, "token_hash": "0" * 64,
                "visitor_id": "bench", "language": languages, "state": state.tolist(),
                "created_at": started, "started_at": started,
                "updated_at": _datetimes(np.where(resolved, resolved_at, starts)),
                "resolved_at": resolved_dt, "escalation_reason": reason.tolist(),
            },
            n,
        )  # fmt: skip
        customer_messages = np.maximum(1, replies + escalated + rng.integers(0, 2, n))
        self.copy(
            ConversationFact,
            {
                "conversation_id": ids, "public_id": public_ids, "started_at": started,
                "day": days, "language": languages, "variant": variant, "arm": "",
                "state": state.tolist(), "segment": segment.tolist(),
                "customer_messages": customer_messages.tolist(),
                "bot_replies": replies.tolist(), "escalations": escalations.tolist(),
                "escalation_reason": reason.tolist(),
                "escalated_before_bot_reply": (escalated & (replies == 0)).tolist(),
                "resolved_at": resolved_dt, "resolve_reason": resolve_reason.tolist(),
                "ended_at": _datetimes(np.where(resolved, ended, -1)),
                "handling_s": _where(handling, resolved),
                "agent_handling_s": _where(handling * 0.6, resolved & claimed),
                "agent_id": _where(agent, claimed),
                "csat_requested": resolved.tolist(),
                "csat_rating": _where(rating, rated),
                "csat_at": _datetimes(np.where(rated, resolved_at + 60_000_000, -1)),
                "safety_blocks": (safety & ~safety_escalates).astype(int).tolist(),
                "safety_escalations": safety_escalates.astype(int).tolist(),
                "reply_prompt_tokens": reply_prompt.tolist(),
                "reply_completion_tokens": reply_completion.tolist(),
                "draft_prompt_tokens": draft_prompt.tolist(),
                "draft_completion_tokens": (draft_prompt // 15).tolist(),
                "translation_prompt_tokens": translation_prompt.tolist(),
                "translation_completion_tokens": (translation_prompt // 2).tolist(),
                "engine_seconds": engine.tolist(),
                "updated_at": _datetimes(np.where(resolved, resolved_at, starts)),
            },
            n,
        )  # fmt: skip
        self._replies(ids, starts, replies, languages, variant)
        self._cycles(ids, starts, escalated, claimed, resolved, reason, agent,
                     languages, variant)  # fmt: skip
        flagged = np.flatnonzero(safety).tolist()
        if flagged:
            self.copy(
                SafetyEvent,
                {
                    "conversation_id": [ids[i] for i in flagged], "direction": "input",
                    "action": ["escalate" if safety_escalates[i] else "block" for i in flagged],
                    "categories": [
                        ["self_harm"] if safety_escalates[i] else ["injection"] for i in flagged
                    ],
                    "language": [languages[i] for i in flagged],
                    "created_at": [started[i] for i in flagged],
                },
                len(flagged),
            )  # fmt: skip

    def _replies(self, ids, starts, replies, languages, variant) -> None:
        """The bot's replies: their messages (the reply facts' key) and their facts."""
        from supportbot.analytics.models import ReplyFact
        from supportbot.chat.models import Message

        rng = self.rng
        owner = np.repeat(np.arange(len(ids)), replies)
        m = len(owner)
        if not m:
            return
        turn = np.arange(m) - np.repeat(np.cumsum(replies) - replies, replies)  # 0, 1, ...
        message_ids = list(range(self.next_message, self.next_message + m))
        self.next_message += m
        finish = np.array(self.finishes)[rng.choice(len(self.finishes), m, p=self.finish_p)]
        timed = np.isin(finish, ["stop", "length"])
        first = rng.lognormal(np.log(420), 0.45, m)
        complete = first + rng.lognormal(np.log(1300), 0.4, m)
        created = starts[owner] + turn * 60_000_000 + (complete * 1000).astype(np.int64)
        owners = [ids[i] for i in owner.tolist()]
        self.copy(
            Message,
            {
                "id": message_ids, "conversation_id": owners, "seq": (2 * turn + 2).tolist(),
                "role": "bot", "text": "Standard shipping takes 3-5 business days.",
                "created_at": _datetimes(created), "finish_reason": finish.tolist(),
            },
            m,
        )  # fmt: skip
        self.copy(
            ReplyFact,
            {
                "message_id": message_ids, "conversation_id": owners,
                "started_at": _datetimes(starts[owner]),
                "language": [languages[i] for i in owner.tolist()],
                "variant": [variant[i] for i in owner.tolist()], "arm": "",
                "finish_reason": finish.tolist(), "normal": timed.tolist(),
                "first_token_ms": _where(first, timed), "complete_ms": _where(complete, timed),
            },
            m,
        )  # fmt: skip

    def _cycles(self, ids, starts, escalated, claimed, resolved, reason, agent, languages,
                variant) -> None:  # fmt: skip
        """One escalation cycle per escalated conversation."""
        from supportbot.analytics.models import EscalationFact

        rng = self.rng
        rows = np.flatnonzero(escalated)
        k = len(rows)
        if not k:
            return
        took = claimed[rows]
        escalated_at = starts[rows] + rng.integers(20, 300, k) * 1_000_000
        wait = rng.lognormal(np.log(75), 1.0, k)
        first_response = wait + rng.lognormal(np.log(25), 0.6, k)
        outcome = np.where(
            ~resolved[rows], "open", np.where(took, "agent_resolved", "customer_left")
        )
        claimed_at = np.where(took, escalated_at + (wait * 1e6).astype(np.int64), -1)
        picked = rows.tolist()
        self.copy(
            EscalationFact,
            {
                "conversation_id": [ids[i] for i in picked], "cycle": 1,
                "started_at": _datetimes(starts[rows]),
                "language": [languages[i] for i in picked],
                "variant": [variant[i] for i in picked], "arm": "",
                "escalated_at": _datetimes(escalated_at), "reason": reason[rows].tolist(),
                "agents_online": (rng.random(k) < 0.7).tolist(),
                "claimed_at": _datetimes(claimed_at),
                "wait_s": _where(wait, took), "first_response_s": _where(first_response, took),
                "agent_s": np.where(took, rng.lognormal(np.log(500), 0.7, k), 0.0).tolist(),
                "agent_id": _where(agent[rows], took),
                "transfers": (rng.random(k) < 0.08).astype(int).tolist(),
                "outcome": outcome.tolist(),
            },
            k,
        )  # fmt: skip


def load(n: int, seed: int) -> dict:
    """The synthetic year; returns the seconds each phase took."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection
    from django.utils import timezone

    from supportbot.analytics import rollups
    from supportbot.chat.models import Conversation, Message

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrated = time.perf_counter()
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench-agent-{i}", first_name=f"Agent {i}")
        for i in range(AGENTS)
    )
    rng = np.random.default_rng(seed)
    now = timezone.now()
    starts = start_times(rng, n, now)
    loader = Loader(rng, now, [u.pk for u in users])
    for first in range(0, n, CHUNK):
        loader.chunk(first + 1, starts[first : first + CHUNK])
        log(f"copied {min(first + CHUNK, n):,} / {n:,} conversations")
    with connection.cursor() as cursor:
        for statement in connection.ops.sequence_reset_sql(no_style(), [Conversation, Message]):
            cursor.execute(statement)
    copied = time.perf_counter()
    rollup_rows = rollups.rebuild_all()
    rolled = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    analyzed = time.perf_counter()
    log(f"loaded in {analyzed - began:.0f} s ({rollup_rows:,} rollup rows)")
    return {
        "migrate": round(migrated - began, 1),
        "copy": round(copied - migrated, 1),
        "rollups_rebuild_all": round(rolled - copied, 1),
        "vacuum_analyze": round(analyzed - rolled, 1),
        "total": round(analyzed - began, 1),
    }


# --- measuring ----------------------------------------------------------------------------------


def timed(fn, repeats: int) -> dict:
    from supportbot.analytics.distributions import percentile

    started = time.perf_counter()
    fn()  # warm-up: the first call pays for cold pages and imports
    first = (time.perf_counter() - started) * 1000
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "p50": round(percentile(times, 0.5), 1),
        "p95": round(percentile(times, 0.95), 1),
        "max": round(times[-1], 1),
        "first": round(first, 1),
        "n": repeats,
    }


def query_profile(fn, *, explain: bool, top: int = 3) -> dict:
    """The queries of one ``fn()`` call: how many, their time by kind (ordered-set
    percentiles, the rest), and the slowest ones, with their plans when ``explain``."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()
    queries = captured.captured_queries
    kinds: dict[str, list] = {"percentile_cont": [0, 0.0], "other": [0, 0.0]}
    for query in queries:
        kind = kinds["percentile_cont" if "percentile_cont" in query["sql"] else "other"]
        kind[0] += 1
        kind[1] += float(query["time"]) * 1000
    slowest = []
    for query in sorted(queries, key=lambda q: -float(q["time"]))[:top]:
        item = {"ms": round(float(query["time"]) * 1000, 1), "sql": query["sql"][:160] + "..."}
        if explain:
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {query['sql']}")
                item["plan"] = [row[0] for row in cursor.fetchall()][:8]
        slowest.append(item)
    return {
        "queries": len(queries),
        "ms_by_kind": {name: {"queries": n, "ms": round(ms)} for name, (n, ms) in kinds.items()},
        "slowest": slowest,
    }


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def stream_csv(window, *, trace: bool) -> dict:
    """Stream the export of ``window`` as the view does, keeping nothing."""
    from supportbot.analytics import export

    gc.collect()
    if trace:
        tracemalloc.start()
    base = _rss_mb()
    peak_rss = base
    rows = -1  # the header
    started = time.perf_counter()
    for _line in export.csv_lines(window):
        rows += 1
        if rows % 10_000 == 0:
            peak_rss = max(peak_rss, _rss_mb())
    seconds = time.perf_counter() - started
    result = {"rows": rows, "seconds": round(seconds, 2)}
    if trace:
        result["memory_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2**20, 2)
        tracemalloc.stop()
    else:
        result["rows_per_s"] = round(rows / seconds)
        result["rss_growth_mb"] = round(max(peak_rss, _rss_mb()) - base, 1)
    return result


def measure(n: int, repeats: int, explain: str) -> dict:
    from django.conf import settings
    from django.db import connection

    from supportbot.analytics import metrics, series
    from supportbot.analytics.facts import rollup_zone
    from supportbot.analytics.metrics import Window
    from supportbot.analytics.models import ConversationFact

    zone = rollup_zone()
    today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    # The page's default: the last 30 days, today included, whole days in the default zone.
    last_30 = Window(start=today - timedelta(days=29), end=today + timedelta(days=1), tz=zone)
    everything = Window(tz=zone)
    out: dict = {}
    cases = {
        "summary_30d_ms": lambda: metrics.summary(last_30),
        "summary_all_ms": lambda: metrics.summary(everything),
        "daily_30d_ms": lambda: series.daily(last_30),
        "daily_all_ms": lambda: series.daily(everything),
        "breakdown_30d_ms": lambda: metrics.breakdown(last_30, "language"),
        "tables_30d_ms": lambda: (
            [metrics.breakdown(last_30, c) for c in ("language", "variant", "arm")],
            metrics.agents(last_30),
            metrics.variant_costs(last_30),
        ),
    }
    for name, fn in cases.items():
        out[name] = timed(fn, repeats)
        log(f"{name}: {out[name]}")
    out["summary_30d_facts"] = last_30.facts().count()
    met = {
        "summary_30d_p95_ms": out["summary_30d_ms"]["p95"] <= TARGETS["summary_30d_p95_ms"],
        "summary_all_p95_ms": out["summary_all_ms"]["p95"] <= TARGETS["summary_all_p95_ms"],
    }
    out["queries"] = {
        "summary_30d": query_profile(
            cases["summary_30d_ms"], explain=explain == "always" or not met["summary_30d_p95_ms"]
        ),
        "summary_all": query_profile(
            cases["summary_all_ms"], explain=explain == "always" or not met["summary_all_p95_ms"]
        ),
    }
    small = min(100_000, max(1, n // 10))
    newest = ConversationFact.objects.order_by("-started_at").values_list("started_at", flat=True)
    small_window = Window(start=newest[small - 1], tz=zone)
    csv = {}
    for label, window in ((str(small), small_window), (str(n), everything)):
        plain = stream_csv(window, trace=False)
        traced = stream_csv(window, trace=True)
        csv[label] = {**plain, "memory_peak_mb": traced["memory_peak_mb"]}
        log(f"csv {label}: {csv[label]}")
    peaks = [csv[label]["memory_peak_mb"] for label in (str(small), str(n))]
    csv["memory_ratio"] = round(peaks[1] / peaks[0], 2) if peaks[0] else None
    csv["rows_ratio"] = round(n / small, 1)
    out["csv"] = csv
    out["targets"] = TARGETS
    out["met"] = met
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        out["postgres"] = cursor.fetchone()[0]
    out["dashboard_tz"] = settings.SUPPORTBOT["DASHBOARD_TZ"]
    return out


def row_counts() -> dict:
    from django.db import connection

    tables = ("chat_conversation", "chat_message", "analytics_conversationfact",
              "analytics_replyfact", "analytics_escalationfact", "safety_safetyevent",
              "analytics_dailyrollup")  # fmt: skip
    counts = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--reuse", action="store_true", help="measure the database as it is (no reload)"
    )
    parser.add_argument(
        "--explain", choices=("missed", "always"), default="missed",
        help="EXPLAIN ANALYZE the slowest queries when a target is missed, or always",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.conversations < 10 or args.repeats < 1:
        parser.error("--conversations must be at least 10 and --repeats at least 1")

    if not args.reuse:
        recreate_database(args.database_url)
    setup_django(args.database_url)
    load_s = None if args.reuse else load(args.conversations, args.seed)
    counts = row_counts()
    n = counts["analytics_conversationfact"]
    result = {
        "bench": "dashboard",
        "load": "synthetic facts via COPY",
        "conversations": n,
        "days": DAYS,
        "rows": counts,
        "load_s": load_s,
        "repeats": args.repeats,
        **measure(n, args.repeats, args.explain),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key}: {value}")


if __name__ == "__main__":
    main()
