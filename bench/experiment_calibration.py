"""Does the experiment page tell the truth? Coverage of its 95 % intervals and false winners
of A/A tests peeked at daily, over simulated experiments with known truths
(``supportbot.experiments.calibration``, the code the tests bound).

    python bench/experiment_calibration.py --runs 200 --json
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from supportbot.experiments import calibration  # noqa: E402 (after the path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--visitors", type=int, default=1500)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=0, help="first seed")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    started = time.perf_counter()
    found = {
        "runs": args.runs,
        "visitors": args.visitors,
        "coverage_95": calibration.coverage(
            args.runs, visitors=args.visitors, first_seed=args.seed
        ),
        "aa_daily_peeking": {
            mode: calibration.peeking(
                args.runs,
                sequential=mode == "sequential",
                visitors=args.visitors,
                days=args.days,
                first_seed=args.seed,
            )
            for mode in ("fixed_horizon", "sequential")
        },
        "targets": {"coverage": [0.92, 0.98], "page_false_winners_max": 0.06},
    }
    found["seconds"] = round(time.perf_counter() - started, 1)
    if args.json:
        print(json.dumps(found))
        return
    print(json.dumps(found, indent=2))


if __name__ == "__main__":
    main()
