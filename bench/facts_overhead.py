"""What keeping the dashboard's facts current costs a customer turn.

    python bench/facts_overhead.py --turns 100 --json

Every saved source row rebuilds its conversation's facts inside the same transaction
(``supportbot.analytics.receivers``). This times one customer turn (the message stored and
answered, the reply stored with its generation record) through the real services on a scratch
SQLite database, alternately with the receivers connected and disconnected, and prints the
ratio: what analytics adds to the write path. Machines differ, ratios travel.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup(db_path: Path) -> None:
    os.environ.setdefault("DEBUG", "1")
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportbot.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("load_demo_kb", verbosity=0)


def _turn(conversation_id: int) -> float:
    from supportbot.chat import replies, services

    started = time.perf_counter()
    result = services.receive_customer_message(
        conversation_id, client_id=uuid.uuid4(), text="How long does shipping take?"
    )
    now = time.time()
    outcome = replies.ReplyOutcome(
        text="Standard shipping takes 3-5 business days.", finish_reason="stop",
        token_count=12, queued_at=now, started_at=now, first_token_at=now, completed_at=now,
    )  # fmt: skip
    replies.store_bot_reply(result.message.pk, outcome)
    return time.perf_counter() - started


def _disconnected():
    from django.db.models.signals import post_delete, post_save

    saved = (post_save.receivers[:], post_delete.receivers[:])
    post_save.receivers = [r for r in post_save.receivers if "analytics" not in str(r[0])]
    post_delete.receivers = [r for r in post_delete.receivers if "analytics" not in str(r[0])]
    post_save.sender_receivers_cache.clear()
    post_delete.sender_receivers_cache.clear()
    return saved


def _restore(saved) -> None:
    from django.db.models.signals import post_delete, post_save

    post_save.receivers, post_delete.receivers = saved
    post_save.sender_receivers_cache.clear()
    post_delete.sender_receivers_cache.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _setup(Path(tmp) / "bench.sqlite3")
        from supportbot.chat import services

        conversation, _ = services.create_conversation(locale="en", visitor_id="warm-up")
        _turn(conversation.pk)  # loads the embedding model
        with_facts, without = [], []
        for i in range(args.turns):
            # Alternate, so drift in the machine's load hits both alike.
            conversation, _ = services.create_conversation(locale="en", visitor_id=f"v{i}")
            if i % 2:
                saved = _disconnected()
                try:
                    without.append(_turn(conversation.pk))
                finally:
                    _restore(saved)
            else:
                with_facts.append(_turn(conversation.pk))
    result = {
        "turns": args.turns,
        "database": "sqlite",
        "turn_ms_with_facts": {
            "p50": statistics.median(with_facts) * 1000,
            "mean": statistics.fmean(with_facts) * 1000,
        },
        "turn_ms_without": {
            "p50": statistics.median(without) * 1000,
            "mean": statistics.fmean(without) * 1000,
        },
    }
    result["ratio_p50"] = result["turn_ms_with_facts"]["p50"] / result["turn_ms_without"]["p50"]
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
