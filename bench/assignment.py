"""What experiment assignment adds to opening a conversation.

    python bench/assignment.py --conversations 2000 --json

``POST /api/conversations`` calls ``chat.services.create_conversation``, which places the
visitor (``experiments.assignment.place``) inside its transaction. This times that service on a
scratch SQLite database in three modes, interleaved in blocks so that drift in the machine's
load hits all alike: no running experiment (the baseline), a running two-arm experiment with a
new visitor each time (hash, then store an ``Assignment``), and a returning visitor (the stored
assignment read back). It also times ``place()`` alone, inside an open transaction as the
service calls it, and the hash arithmetic alone, and counts each mode's SQL statements.
The target: assignment adds at most 1 ms to the 99th percentile of opening a conversation.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scratch import setup_scratch_database  # noqa: E402 (bench/, after the path)

TARGET_MS = 1.0
MODES = ("without", "with", "returning")


def _experiment():
    """A draft two-arm experiment, 1:1, between the default variant and a candidate."""
    from supportbot.experiments.models import Arm, Experiment, ModelVariant

    control = ModelVariant.get_default()
    candidate = ModelVariant.objects.create(
        name="candidate", model=control.model, generation={"max_new_tokens": 64}
    )
    experiment = Experiment.objects.create(name="bench", primary_metric="escalation_rate")
    Arm.objects.create(experiment=experiment, name="a", variant=control, is_control=True)
    Arm.objects.create(experiment=experiment, name="b", variant=candidate)
    return experiment


def _set_running(experiment, running: bool) -> None:
    from supportbot.experiments.models import Experiment

    status = Experiment.Status.RUNNING if running else Experiment.Status.DRAFT
    Experiment.objects.filter(pk=experiment.pk).update(status=status)


def _open(visitor: str) -> float:
    from supportbot.chat import services

    started = time.perf_counter()
    services.create_conversation(locale="en", visitor_id=visitor, origin="http://127.0.0.1:8000")
    return time.perf_counter() - started


def _place(visitor: str) -> float:
    """``place()`` alone, inside a transaction as the service calls it (its commit is the
    conversation's, so it is not counted here)."""
    from django.db import transaction

    from supportbot.experiments.assignment import place

    with transaction.atomic():
        started = time.perf_counter()
        place(visitor)
        return time.perf_counter() - started


def _hash_us(experiment, n: int) -> float:
    """Median microseconds of the arithmetic alone: ``bucket`` and ``pick`` on the arms."""
    from supportbot.experiments.hashing import bucket, pick

    arms = list(experiment.arms.all())
    times = []
    for _ in range(n):
        visitor = str(uuid.uuid4())
        started = time.perf_counter()
        pick(arms, bucket(experiment.salt, visitor))
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1e6, 3)


def _statements(call: Callable[[str], float], visitor: str) -> int:
    """SQL statements one call sends, leaving out BEGIN and COMMIT (the conversation's)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        call(visitor)
    control = ("BEGIN", "COMMIT")
    return sum(not q["sql"].upper().startswith(control) for q in captured.captured_queries)


def _interleaved(
    call: Callable[[str], float], experiment, n: int, block: int, rng: random.Random
) -> tuple[dict[str, list[float]], dict[str, int]]:
    """``n`` timings of ``call`` per mode, the modes taking turns in blocks of ``block``."""
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    assigned: list[str] = []  # visitors placed while the experiment ran: the returning ones

    def visitor_for(mode: str) -> str:
        if mode == "returning":
            return rng.choice(assigned)
        visitor = str(uuid.uuid4())  # what the widget keeps in localStorage
        if mode == "with":
            assigned.append(visitor)
        return visitor

    order = ["with", "returning", "without"]  # "with" first: returning visitors need a pool
    while any(len(times[mode]) < n for mode in MODES):
        for mode in order:
            _set_running(experiment, mode != "without")
            for _ in range(min(block, n - len(times[mode]))):
                times[mode].append(call(visitor_for(mode)))
        order = order[1:] + order[:1] if assigned else order
    statements = {}
    for mode in MODES:
        _set_running(experiment, mode != "without")
        statements[mode] = _statements(call, visitor_for(mode))
    _set_running(experiment, False)
    return times, statements


def _percentiles(seconds: list[float]) -> dict[str, float]:
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return {
        "p50": round(cuts[49] * 1000, 4),
        "p95": round(cuts[94] * 1000, 4),
        "p99": round(cuts[98] * 1000, 4),
        "mean": round(statistics.fmean(seconds) * 1000, 4),
    }


def run(n: int, block: int, warmup: int, seed: int) -> dict:
    from django.conf import settings

    # As production runs: no per-query logging (DEBUG only served the scratch setup).
    settings.DEBUG = False
    rng = random.Random(seed)
    experiment = _experiment()
    for running in (False, True):  # imports, caches, the first statements prepared
        _set_running(experiment, running)
        for _ in range(warmup):
            _open(str(uuid.uuid4()))
            _place(str(uuid.uuid4()))
    opened, opened_statements = _interleaved(_open, experiment, n, block, rng)
    placed, placed_statements = _interleaved(_place, experiment, n, block, rng)
    open_ms = {mode: _percentiles(opened[mode]) for mode in MODES}
    place_ms = {mode: _percentiles(placed[mode]) for mode in MODES}
    added_p99 = open_ms["with"]["p99"] - open_ms["without"]["p99"]
    return {
        "conversations": n,
        "block": block,
        "database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
        "arms": 2,
        "open_ms": {
            "without_experiment": open_ms["without"],
            "with_experiment": open_ms["with"],
            "returning_visitor": open_ms["returning"],
        },
        "place_ms": {
            "without_experiment": place_ms["without"],
            "new_visitor": place_ms["with"],
            "returning_visitor": place_ms["returning"],
        },
        "hash_and_pick_p50_us": _hash_us(experiment, n),
        "statements": {
            "open_without_experiment": opened_statements["without"],
            "open_with_experiment": opened_statements["with"],
            "open_returning_visitor": opened_statements["returning"],
            "place_without_experiment": placed_statements["without"],
            "place_new_visitor": placed_statements["with"],
            "place_returning_visitor": placed_statements["returning"],
        },
        "added_p50_ms": round(open_ms["with"]["p50"] - open_ms["without"]["p50"], 4),
        "added_p99_ms": round(added_p99, 4),
        "added_p99_returning_ms": round(open_ms["returning"]["p99"] - open_ms["without"]["p99"], 4),
        "ratio_p50": round(open_ms["with"]["p50"] / open_ms["without"]["p50"], 4),
        "ratio_p99": round(open_ms["with"]["p99"] / open_ms["without"]["p99"], 4),
        "target_ms": TARGET_MS,
        "meets_target": added_p99 <= TARGET_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=2000, help="timed calls per mode")
    parser.add_argument("--block", type=int, default=50, help="calls per mode before switching")
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.conversations < 2 or args.block < 1:
        parser.error("--conversations must be at least 2 and --block at least 1")
    with tempfile.TemporaryDirectory() as tmp:
        setup_scratch_database(Path(tmp) / "bench.sqlite3")
        result = run(args.conversations, args.block, args.warmup, args.seed)
    if args.json:
        print(json.dumps(result))
        return
    opened = result["open_ms"]
    print(
        f"open p99: {opened['without_experiment']['p99']:.3f} ms without an experiment, "
        f"{opened['with_experiment']['p99']:.3f} ms with (new visitors), "
        f"{opened['returning_visitor']['p99']:.3f} ms returning; "
        f"assignment adds {result['added_p99_ms']:.3f} ms at p99 "
        f"(x{result['ratio_p99']:.2f}; target {TARGET_MS} ms: "
        f"{'met' if result['meets_target'] else 'missed'}); "
        f"place() alone p99 {result['place_ms']['new_visitor']['p99']:.3f} ms new, "
        f"{result['place_ms']['returning_visitor']['p99']:.3f} ms returning "
        f"({result['conversations']} per mode, {result['database']})"
    )


if __name__ == "__main__":
    main()
