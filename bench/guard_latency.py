"""What the streaming output guard costs the customer: the delay to the first visible text.

    python bench/guard_latency.py --itl-ms 20 --json

Replays real support replies (the demo knowledge base's answers, 10 languages) token by
token, as the engine would emit them at ``--itl-ms`` per token (20 ms is a loaded GPU
batch), through the guard with the real checks (rules, PII, classifier). Without the guard
the first token is visible at once; with it, text waits for a checkpoint (a sentence end or
the window) and its check. The checks are timed for real; token arrival is simulated, so
the figures do not depend on this machine's model speed. Prints, per language and overall:
the added delay to the first visible text (p50/p99), the time per check, and how many
checks a reply needs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import frontmatter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference_worker.detokenizer import IncrementalDetokenizer
from inference_worker.output_guard import GuardDecision, StreamGuard
from inference_worker.tiny_models import build_qwen_tokenizer
from supportbot.safety.output import OutputContext
from supportbot.safety.screening import check_outputs

KB = Path(__file__).resolve().parent.parent / "supportbot" / "knowledge" / "demo_kb"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))], 2)


def pieces_of(text: str, tokenizer) -> list[str]:
    """The visible deltas an engine would emit for ``text``, one per token."""
    detok = IncrementalDetokenizer(tokenizer)
    out = [detok.add(token) for token in tokenizer.encode(text, add_special_tokens=False)]
    out.append(detok.flush())
    return out


def replay(
    pieces: list[str], itl_ms: float, context: OutputContext, window: int, first_window: int
) -> dict:
    check_ms: list[float] = []

    def check(text: str) -> GuardDecision:
        started = time.perf_counter()
        verdict = check_outputs([text], context)[0]
        check_ms.append((time.perf_counter() - started) * 1000)
        return GuardDecision(verdict.is_allow, ",".join(verdict.categories))

    guard = StreamGuard(check, window_chars=window, first_window_chars=first_window)
    clock = 0.0  # ms since the first token: arrivals are simulated, checks are real
    first_visible = None
    first_token = None
    for index, piece in enumerate(pieces):
        arrival = index * itl_ms
        clock = max(clock, arrival)
        if piece and first_token is None:
            first_token = arrival
        before = len(check_ms)
        released = guard.feed(piece)
        clock += sum(check_ms[before:])
        if released and first_visible is None:
            first_visible = clock
    before = len(check_ms)
    if guard.finish() and first_visible is None:
        first_visible = clock + sum(check_ms[before:])
    return {
        "added_ms": (first_visible or clock) - (first_token or 0.0),
        "checks": len(check_ms),
        "check_ms": check_ms,
        "blocked": guard.blocked.reason if guard.blocked is not None else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--itl-ms", type=float, default=20.0, help="simulated ms per token")
    parser.add_argument("--window", type=int, default=64, help="guard window in characters")
    parser.add_argument(
        "--first-window", type=int, default=24, help="window before the first release"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    import torch

    torch.set_num_threads(1)  # one core, as the latency target asks
    tokenizer = build_qwen_tokenizer()
    posts = [frontmatter.load(path) for path in sorted(KB.glob("*.md"))]
    articles = [{**post.metadata, "body": post.content} for post in posts]
    context = OutputContext(allowed_hosts=frozenset({"acme.example"}))
    check_outputs(["warm up"], context)  # load the classifier outside the timings
    by_language: dict[str, list[dict]] = defaultdict(list)
    for article in articles:
        pieces = pieces_of(article["body"], tokenizer)
        # In a chat the article is in the knowledge the reply may repeat (its phone numbers).
        given = OutputContext(allowed_hosts=context.allowed_hosts, given_text=article["body"])
        by_language[article["language"]].append(
            replay(pieces, args.itl_ms, given, args.window, args.first_window)
        )

    def summary(runs: list[dict]) -> dict:
        added = [r["added_ms"] for r in runs]
        checks = [ms for r in runs for ms in r["check_ms"]]
        return {
            "replies": len(runs),
            "added_first_visible_ms_p50": percentile(added, 50),
            "added_first_visible_ms_p99": percentile(added, 99),
            "check_ms_p50": percentile(checks, 50),
            "check_ms_p99": percentile(checks, 99),
            "checks_per_reply_mean": round(statistics.fmean(r["checks"] for r in runs), 2),
            "false_blocks": [r["blocked"] for r in runs if r["blocked"]],
        }

    result = {
        "benchmark": "output guard, delay to first visible text",
        "itl_ms": args.itl_ms,
        "window_chars": args.window,
        "first_window_chars": args.first_window,
        "overall": summary([r for runs in by_language.values() for r in runs]),
        "by_language": {lang: summary(runs) for lang, runs in sorted(by_language.items())},
    }
    print(json.dumps(result, indent=None if args.json else 2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
