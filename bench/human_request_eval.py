"""Tune and measure the escalation detectors: asks-for-a-human and strongly negative sentiment.

Usage (from the repository root):

    python bench/human_request_eval.py                       # asks for a human
    python bench/human_request_eval.py --detector sentiment  # strongly negative sentiment

Prints one JSON object:

* ``tuning``: leave-one-out over the detector's own examples file (each example scored
  against all the others) over a grid of (threshold, margin), and the pair the stated rule
  picks among those that flag at most ``max_benign`` of the safety filter's ordinary support
  seeds. This is how the module constants were chosen (for e5, 2026-12-06).
  ``leave_language_out`` scores each example against the other languages only: a
  pessimistic figure for a language with few examples.
* ``dev`` and ``heldout``: recall and false-positive rate per language on hand-written lines
  that are not in the examples file, with the misses and false alarms listed.
  ``bench/data/*_dev.jsonl`` was the first held-out set; its errors showed which kinds of
  phrasing the examples lacked ("is an agent available?", calm fraud reports), so it is no
  longer a clean measure. ``bench/data/*_heldout.jsonl`` was written after the examples and
  constants were settled, and no constant or example was chosen on it. Its first reading led
  to two changes of method: sentiment scores messages whole (on their own, its sentences read
  angrier than they are), and two fallback phrases gained a verb form (hi "kar sakta", vi
  "chuyển cho tôi sang"). First reading: human requests recall 0.80, false positives 1.6 %;
  sentiment recall 0.90, false positives 30 % (one plain question, "Where is my order? It's
  been a week.", in 12 languages).
* ``safety_benign``: the share of the safety filter's ordinary support seeds
  (``supportbot/safety/data/seeds/benign*.jsonl``, 20 languages) that are flagged. Many of
  those seeds do ask for a person or are furious ("benign" there means "not harmful"), so the
  flagged lines are printed for reading.
* ``latency_ms``: one call on one message (the production path), and per message in a batch.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from supportbot.detectors import human_request, sentiment  # noqa: E402
from supportbot.detectors.example_bank import embed, top_k_mean  # noqa: E402

SEEDS = ROOT / "supportbot" / "safety" / "data" / "seeds"


@dataclass(frozen=True)
class Detector:
    examples: Path
    dev: Path
    heldout: Path
    threshold: float
    margin: float
    top_k: int
    score: Callable[[list[str]], list[float]]
    # Picks (threshold, margin) from leave-one-out recall and false-positive rate...
    objective: Callable[[float, float], float]
    # ...among the pairs that flag at most this share of the safety filter's ordinary
    # support seeds (e5 rates many messages alike: a pair can look fine on the examples and
    # still hand over one ordinary message in ten).
    max_benign: float


def _balanced(recall: float, fpr: float) -> float:
    # Asking for a person and not getting one is as bad as an unneeded handover.
    return recall - fpr


def _precise(recall: float, fpr: float) -> float:
    # Anger escalation must be rare and right: recall counts only at <= 1 % false positives.
    return recall if fpr <= 0.01 else -fpr


DETECTORS = {
    "human": Detector(
        examples=human_request.EXAMPLES_PATH,
        dev=ROOT / "bench" / "data" / "human_request_dev.jsonl",
        heldout=ROOT / "bench" / "data" / "human_request_heldout.jsonl",
        threshold=human_request.THRESHOLD,
        margin=human_request.MARGIN,
        top_k=human_request.TOP_K,
        score=human_request.human_request_score,
        objective=_balanced,
        max_benign=0.02,
    ),
    "sentiment": Detector(
        examples=sentiment.EXAMPLES_PATH,
        dev=ROOT / "bench" / "data" / "negative_sentiment_dev.jsonl",
        heldout=ROOT / "bench" / "data" / "negative_sentiment_heldout.jsonl",
        threshold=sentiment.THRESHOLD,
        margin=sentiment.MARGIN,
        top_k=sentiment.TOP_K,
        score=sentiment.negativity_score,
        objective=_precise,
        # The seeds hold many furious complaints (benign for the safety filter, angry here).
        max_benign=0.05,
    ),
}


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def nearest(
    sim: np.ndarray, labels: np.ndarray, allowed: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per row: similarity to the allowed positives and to the allowed negatives, as the
    detectors compute it (mean of the ``k`` nearest)."""
    masked = np.where(allowed, sim, -np.inf)
    return top_k_mean(masked[:, labels], k), top_k_mean(masked[:, ~labels], k)


def grid(
    pos: np.ndarray, neg: np.ndarray, labels: np.ndarray, benign: tuple, det: Detector
) -> list[dict]:
    """Every (threshold, margin) pair with its leave-one-out figures and the share of benign
    seeds it flags (``benign``: their similarities to the whole bank)."""
    rows = []
    for t in np.arange(0.30, 0.951, 0.005):
        for m in np.arange(0.0, 0.201, 0.005):
            flagged = (pos >= t) & (pos - neg >= m)
            recall = float(flagged[labels].mean())
            fpr = float(flagged[~labels].mean())
            benign_share = float(((benign[0] >= t) & (benign[0] - benign[1] >= m)).mean())
            rows.append(
                {
                    "threshold": round(float(t), 3),
                    "margin": round(float(m), 3),
                    "recall": round(recall, 3),
                    "fpr": round(fpr, 3),
                    "benign_flagged": round(benign_share, 3),
                    "objective": objective_within(det, recall, fpr, benign_share),
                }
            )
    return rows


def objective_within(det: Detector, recall: float, fpr: float, benign_share: float) -> float:
    return det.objective(recall, fpr) if benign_share <= det.max_benign else -1.0 - benign_share


def benign_seeds() -> list[dict]:
    return [r for p in sorted(SEEDS.glob("benign*.jsonl")) for r in read_jsonl(p)]


def tune(det: Detector) -> dict:
    rows = read_jsonl(det.examples)
    labels = np.array([bool(r["match"]) for r in rows])
    langs = np.array([r["language"] for r in rows])
    x = embed([r["text"] for r in rows])
    sim = x @ x.T
    not_self = ~np.eye(len(rows), dtype=bool)
    other_lang = langs[:, None] != langs[None, :]
    out = {"examples": len(rows), "positives": int(labels.sum())}
    seeds = embed([r["text"] for r in benign_seeds()])
    seed_sim = seeds @ x.T
    benign = (
        top_k_mean(seed_sim[:, labels], det.top_k),
        top_k_mean(seed_sim[:, ~labels], det.top_k),
    )
    for name, allowed in (("leave_one_out", not_self), ("leave_language_out", other_lang)):
        pos, neg = nearest(sim, labels, allowed, det.top_k)
        table = grid(pos, neg, labels, benign, det)
        # Ties go to the stricter pair: the higher threshold, then the larger margin.
        best = max(table, key=lambda r: (r["objective"], r["threshold"], r["margin"]))
        current = next(
            r
            for r in table
            if r["threshold"] == round(det.threshold, 3) and r["margin"] == round(det.margin, 3)
        )
        out[name] = {
            "best": {k: v for k, v in best.items() if k != "objective"},
            "at_module_constants": {k: v for k, v in current.items() if k != "objective"},
        }
    return out


def evaluate(det: Detector, path: Path) -> dict:
    rows = read_jsonl(path)
    scores = det.score([r["text"] for r in rows])
    by_lang: dict[str, dict[str, list[bool]]] = defaultdict(lambda: {"pos": [], "neg": []})
    misses, false_alarms = [], []
    for r, s in zip(rows, scores, strict=True):
        flagged = s >= det.threshold
        by_lang[r["language"]]["pos" if r["match"] else "neg"].append(flagged)
        if r["match"] and not flagged:
            misses.append(f"{r['language']} {s:.2f} {r['text']}")
        if flagged and not r["match"]:
            false_alarms.append(f"{r['language']} {s:.2f} {r['text']}")

    def rate(xs: list[bool]) -> float | None:
        return round(sum(xs) / len(xs), 3) if xs else None

    per_language = {
        lang: {
            "recall": rate(v["pos"]),
            "fpr": rate(v["neg"]),
            "n_pos": len(v["pos"]),
            "n_neg": len(v["neg"]),
        }
        for lang, v in sorted(by_lang.items())
    }
    all_pos = [f for v in by_lang.values() for f in v["pos"]]
    all_neg = [f for v in by_lang.values() for f in v["neg"]]
    return {
        "overall": {
            "recall": rate(all_pos),
            "fpr": rate(all_neg),
            "n_pos": len(all_pos),
            "n_neg": len(all_neg),
        },
        "per_language": per_language,
        "misses": misses,
        "false_alarms": false_alarms,
    }


def safety_benign(det: Detector) -> dict:
    rows = benign_seeds()
    scores = det.score([r["text"] for r in rows])
    flagged = [
        f"{r['language']} {s:.2f} {r['text']}"
        for r, s in zip(rows, scores, strict=True)
        if s >= det.threshold
    ]
    return {"n": len(rows), "flag_rate": round(len(flagged) / len(rows), 4), "flagged": flagged}


def latency(det: Detector) -> dict:
    texts = [r["text"] for r in read_jsonl(det.dev) + read_jsonl(det.heldout)]
    det.score(texts[:1])  # loads the encoder and embeds the examples
    single = []
    for text in texts:
        t0 = time.perf_counter()
        det.score([text])
        single.append((time.perf_counter() - t0) * 1000)
    t0 = time.perf_counter()
    det.score(texts)
    batch = (time.perf_counter() - t0) * 1000 / len(texts)
    return {
        "single_median": round(statistics.median(single), 2),
        "single_p95": round(sorted(single)[int(0.95 * len(single))], 2),
        "batched_per_message": round(batch, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--detector", choices=sorted(DETECTORS), default="human")
    args = parser.parse_args()
    det = DETECTORS[args.detector]
    t0 = time.perf_counter()
    det.score(["warm-up"])
    load_s = time.perf_counter() - t0
    report = {
        "detector": args.detector,
        "module_constants": {"threshold": det.threshold, "margin": det.margin},
        "first_call_s": round(load_s, 2),
        "tuning": tune(det),
        "dev": evaluate(det, det.dev),
        "heldout": evaluate(det, det.heldout),
        "safety_benign": safety_benign(det),
        "latency_ms": latency(det),
    }
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
