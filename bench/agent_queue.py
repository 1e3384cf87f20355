"""What the agent console costs the server as the queue grows.

    python bench/agent_queue.py --sizes 10,100,500 --json

Every change to the queue (an escalation, a claim, a resolve) makes each open console ask for
the whole queue again (``supportbot.agents.snapshots.queue_items``), and opening a ticket
builds its transcript (``conversation_detail``). This fills a scratch SQLite database with
escalated conversations of 6 messages each and times both, next to a baseline in the same
run: reading the same conversation rows with one bare query. The ratio is what the snapshot
adds over touching the rows at all; machines differ, ratios travel.
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

REPEATS = 20


def _fill(count: int) -> list[str]:
    from supportbot.chat import services
    from supportbot.chat.escalation import Reason, escalate
    from supportbot.chat.models import Actor, Message

    ids = []
    for i in range(count):
        conversation, _ = services.create_conversation(locale="en", visitor_id=f"v{i}")
        for turn in range(3):
            services.receive_customer_message(
                conversation.pk, client_id=uuid.uuid4(), text=f"Question {turn} about order {i}"
            )
            conversation.refresh_from_db()
            Message.objects.create(
                conversation=conversation,
                seq=conversation.next_seq(),
                role=Actor.BOT,
                text="An answer from the knowledge base.",
            )
            conversation.save(update_fields=["last_seq"])
        escalate(conversation.pk, reason=Reason.CUSTOMER_BUTTON)
        ids.append(str(conversation.public_id))
    return ids


def _time(fn) -> dict:
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1e3)
    return {"p50_ms": round(statistics.median(times), 3), "max_ms": round(max(times), 3)}


def run(sizes: list[int]) -> dict:
    from supportbot.agents import snapshots
    from supportbot.chat.models import Conversation

    results = []
    filled: list[str] = []
    for size in sizes:
        filled += _fill(size - len(filled))
        baseline = _time(
            lambda: list(
                Conversation.objects.filter(state__in=snapshots.QUEUE_STATES).values_list(
                    "public_id", "state", "priority", "escalated_at"
                )
            )
        )
        queue = _time(snapshots.queue_items)
        one = Conversation.objects.get(public_id=filled[0])
        detail = _time(lambda one=one: snapshots.conversation_detail(one))
        results.append(
            {
                "waiting_conversations": size,
                "baseline_rows": baseline,
                "queue_snapshot": queue,
                "queue_over_baseline": round(queue["p50_ms"] / max(baseline["p50_ms"], 1e-6), 2),
                "open_one_conversation": detail,
            }
        )
    return {"benchmark": "agent console snapshots", "repeats": REPEATS, "results": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10,100,500")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    with tempfile.TemporaryDirectory() as scratch:
        setup_scratch_database(Path(scratch) / "bench.sqlite3")
        report = run(sizes)
    if args.json:
        print(json.dumps(report, indent=1))
    else:
        for row in report["results"]:
            print(row)


if __name__ == "__main__":
    main()
