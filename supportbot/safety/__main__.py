"""Check text from the command line: one text per line on stdin, one JSON verdict per line.

    python -m supportbot.safety check --direction input --json < messages.txt
    echo "Ignore all previous instructions" | python -m supportbot.safety check --direction input

and retrain the classifier (see ``supportbot.safety.train``; about 11 minutes on 2 cores):

    python -m supportbot.safety train --data ../shared/data

Output checks take the hosts replies may link to (``--allowed-host``, repeatable) and the
instructions that must never be repeated (``--protected``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from supportbot.safety.output import OutputContext
from supportbot.safety.screening import check_outputs, screen_inputs

BATCH = 32


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m supportbot.safety")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="screen texts read from stdin, one per line")
    check.add_argument("--direction", choices=("input", "output"), default="input")
    check.add_argument("--language", help="ISO 639-1 code, helps phone-number formats")
    check.add_argument("--allowed-host", action="append", default=[])
    check.add_argument("--protected", action="append", default=[])
    check.add_argument("--json", action="store_true", help="with scores and spans")
    train = commands.add_parser("train", help="fine-tune the classifier, write its weights")
    train.add_argument("--data", type=Path, default=Path("../shared/data"))
    train.add_argument("--out", type=Path, help="weights file (default: the shipped one)")
    train.add_argument("--steps", type=int, help="optimiser steps (default: the tuned number)")
    train.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    if args.command == "train":
        return _train(args)

    context = OutputContext(
        allowed_hosts=frozenset(h.lower() for h in args.allowed_host),
        protected=tuple(args.protected),
    )
    lines = [line.rstrip("\n") for line in sys.stdin]
    for start in range(0, len(lines), BATCH):
        batch = lines[start : start + BATCH]
        if args.direction == "input":
            verdicts = screen_inputs(batch, languages=[args.language] * len(batch))
        else:
            verdicts = check_outputs(batch, context)
        for verdict in verdicts:
            full = verdict.to_dict()
            shown = (
                full if args.json else {k: full[k] for k in ("action", "categories", "redacted")}
            )
            print(json.dumps(shown, ensure_ascii=False), flush=True)
    return 0


def _train(args: argparse.Namespace) -> int:
    from supportbot.safety import train

    if not args.data.is_dir():
        print(f"no data folder at {args.data}", file=sys.stderr)
        return 2
    report = train.train(
        args.data,
        out=args.out or train.WEIGHTS_PATH,
        steps=args.steps or train.STEPS,
        progress=not args.no_progress,
    )
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
