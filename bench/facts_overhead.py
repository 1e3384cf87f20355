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
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch import setup_scratch_database  # noqa: E402 (bench/, after the path)


def _setup(db_path: Path) -> None:
    setup_scratch_database(db_path)
    from django.core.management import call_command

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        _setup(Path(tmp) / "bench.sqlite3")
        from supportbot.analytics import receivers
        from supportbot.chat import services

        conversation, _ = services.create_conversation(locale="en", visitor_id="warm-up")
        _turn(conversation.pk)  # loads the embedding model
        with_facts, without = [], []
        for i in range(args.turns):
            # Alternate, so drift in the machine's load hits both alike.
            conversation, _ = services.create_conversation(locale="en", visitor_id=f"v{i}")
            if i % 2:
                receivers.disconnect()
                try:
                    without.append(_turn(conversation.pk))
                finally:
                    receivers.connect()
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
