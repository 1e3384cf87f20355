"""Measure the PII detector (supportbot/safety/pii.py) on presidio's synthetic sentences.

Usage (from the repository root):

    python bench/safety_eval_pii.py --data ../shared/data [--json] [--presidio]

Also reports the checks in safety_eval_pii_extra.py (false positives on real support queries,
phone formats of every region, generated traps) and latency on short chat messages.

Data, read from the data folder and never copied into the repository:
`pii/presidio_synth_dataset_v2.json` (microsoft/presidio-research, MIT): 1,500 English
sentences, each with character spans (`start_position`, `end_position`, `entity_type`).

Scoring per category, by character overlap: a predicted span is a true positive when it overlaps
a gold span whose label maps to the same category; a gold span is found when such a prediction
overlaps it. Predictions on text labelled otherwise (ZIP codes, driver licences, dates) or not
labelled at all count as false positives. `exact` counts found gold spans whose boundaries match
character for character. `--presidio` scores presidio-analyzer's own recognizers (called
directly, no spaCy model) the same way, which is how the choice between them was made.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from safety_eval_pii_extra import number_traps, phone_formats, support_queries

from supportbot.safety.pii import find_pii, warm_up
from supportbot.safety.verdict import Category

DATASET = Path("pii/presidio_synth_dataset_v2.json")
# The data set's labels that are ours; the rest (PERSON, STREET_ADDRESS, US_DRIVER_LICENSE,
# ZIP_CODE, DATE_TIME, ...) are outside the filter's categories.
LABELS = {
    "EMAIL_ADDRESS": Category.PII_EMAIL,
    "PHONE_NUMBER": Category.PII_PHONE,
    "CREDIT_CARD": Category.PII_CARD,
    "IBAN_CODE": Category.PII_IBAN,
    "IP_ADDRESS": Category.PII_IP,
    "US_SSN": Category.PII_NATIONAL_ID,
}
TARGETS = {  # from the issue: (recall, precision)
    Category.PII_EMAIL: (0.95, 0.90),
    Category.PII_CARD: (0.95, 0.90),
    Category.PII_IBAN: (0.95, 0.90),
    Category.PII_PHONE: (0.95, 0.90),
    Category.PII_IP: (0.95, 0.90),
}

Found = list[tuple[int, int, Category]]


def load(data: Path) -> list[dict]:
    return json.loads((data / DATASET).read_text(encoding="utf-8"))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def score(rows: list[dict], detect: Callable[[str], Found], *, keep_errors: int = 0) -> dict:
    """Per-category counts, precision and recall, and per-sentence latency in ms."""
    tp, fp, fn, exact = Counter(), Counter(), Counter(), Counter()
    errors: dict[str, list[str]] = {"fp": [], "fn": []}
    times, digit_times = [], []
    for row in rows:
        text = row["full_text"]
        t0 = time.perf_counter()
        found = detect(text)
        times.append((time.perf_counter() - t0) * 1000)
        if sum(c.isdigit() for c in text) >= 7:  # where the number detectors do real work
            digit_times.append(times[-1])
        gold = [
            (s["start_position"], s["end_position"], LABELS.get(s["entity_type"]), s["entity_type"])
            for s in row["spans"]
        ]
        for start, end, category in found:
            hits = [g for g in gold if g[0] < end and start < g[1]]
            if any(g[2] is category for g in hits):
                tp[category] += 1
            else:
                fp[category] += 1
                if len(errors["fp"]) < keep_errors:
                    label = hits[0][3] if hits else "unlabelled"
                    errors["fp"].append(f"{category}: {text[start:end]!r} ({label})")
        for g_start, g_end, category, _label in gold:
            if category is None:
                continue
            matches = [f for f in found if f[2] is category and f[0] < g_end and g_start < f[1]]
            if not matches:
                fn[category] += 1
                if len(errors["fn"]) < keep_errors:
                    errors["fn"].append(f"{category}: {text[g_start:g_end]!r}")
            elif any((f[0], f[1]) == (g_start, g_end) for f in matches):
                exact[category] += 1
    per_category = {}
    for category in dict.fromkeys(LABELS.values()):
        t, p, n = tp[category], fp[category], fn[category]
        gold_total = sum(
            1 for r in rows for s in r["spans"] if LABELS.get(s["entity_type"]) is category
        )
        per_category[str(category)] = {
            "precision": round(t / (t + p), 4) if t + p else None,
            # Recall counts gold spans: two predictions on one gold span are one find.
            "recall": round((gold_total - n) / gold_total, 4) if gold_total else None,
            "tp": t,
            "fp": p,
            "fn": n,
            "gold": gold_total,
            "exact_boundaries": exact[category],
        }
    result = {
        "per_category": per_category,
        "latency_ms": {
            "p50": round(statistics.median(times), 4),
            "p99": round(_percentile(times, 0.99), 4),
            "mean": round(statistics.fmean(times), 4),
            "max": round(max(times), 4),
            "sentences_with_7_digits": {
                "n": len(digit_times),
                "p50": round(statistics.median(digit_times), 4),
                "p99": round(_percentile(digit_times, 0.99), 4),
            },
        },
    }
    if keep_errors:
        result["errors"] = errors
    return result


def ours(language: str | None) -> Callable[[str], Found]:
    def detect(text: str) -> Found:
        return [(s.start, s.end, s.category) for s in find_pii(text, language=language)]

    return detect


def presidio() -> Callable[[str], Found]:
    """presidio-analyzer's pattern recognizers, called directly (no AnalyzerEngine, no spaCy)."""
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        EmailRecognizer,
        IbanRecognizer,
        IpRecognizer,
        PhoneRecognizer,
        UsSsnRecognizer,
    )

    recognizers = [
        (EmailRecognizer(), "EMAIL_ADDRESS"),
        (CreditCardRecognizer(), "CREDIT_CARD"),
        (IbanRecognizer(), "IBAN_CODE"),
        (IpRecognizer(), "IP_ADDRESS"),
        (UsSsnRecognizer(), "US_SSN"),
        (PhoneRecognizer(), "PHONE_NUMBER"),
    ]

    def detect(text: str) -> Found:
        found = []
        for recognizer, entity in recognizers:
            for r in recognizer.analyze(text, [entity], None):
                # Their "very weak" SSN patterns (any 9-digit run) score 0.05: not a finding.
                if r.score >= 0.3:
                    found.append((r.start, r.end, LABELS[entity]))
        return found

    return detect


def short_message_latency(data: Path, language: str | None) -> dict:
    """Per-message latency on real short chat messages (banking77 test queries)."""
    with open(data / "support" / "banking77_test.csv", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    times = []
    for text in texts:
        t0 = time.perf_counter()
        find_pii(text, language=language)
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "messages": len(texts),
        "mean_chars": round(statistics.fmean(len(t) for t in texts), 1),
        "p50": round(statistics.median(times), 4),
        "p99": round(_percentile(times, 0.99), 4),
    }


def run(data: Path, *, language: str | None = "en", compare_presidio: bool = False) -> dict:
    """Scores of ``find_pii`` (and optionally presidio's recognizers) on the data sets."""
    data = Path(data)
    rows = load(data)
    warm_up()  # one-time phone metadata loading is not per-message latency
    result = {
        "data": str(DATASET),
        "sentences": len(rows),
        "language": language,
        "label_mapping": {label: str(c) for label, c in LABELS.items()},
        "matching": "character overlap with a gold span of the same category",
        "targets": {str(c): {"recall": r, "precision": p} for c, (r, p) in TARGETS.items()},
        "ours": score(rows, ours(language), keep_errors=40),
    }
    missed = []
    for category, (min_recall, min_precision) in TARGETS.items():
        m = result["ours"]["per_category"][str(category)]
        if (m["recall"] or 0) < min_recall or (m["precision"] or 0) < min_precision:
            missed.append(str(category))
    result["targets_missed"] = missed
    if compare_presidio:
        result["presidio"] = score(rows, presidio())
    if (data / "support").is_dir():
        result["support_queries"] = support_queries(data)
        result["short_message_latency_ms"] = {
            str(lang): short_message_latency(data, lang) for lang in ("en", None)
        }
    result["phone_formats"] = phone_formats()
    result["number_traps"] = number_traps()
    return result


def _print(result: dict) -> None:
    print(f"{result['sentences']} sentences from {result['data']}, language={result['language']}")
    print("labels: " + ", ".join(f"{k} -> {v}" for k, v in result["label_mapping"].items()))
    for name in ("ours", "presidio"):
        if name not in result:
            continue
        print(f"\n{name}:")
        print(f"  {'category':<18}{'prec':>7}{'recall':>8}{'tp':>6}{'fp':>5}{'fn':>5}{'exact':>7}")
        for category, m in result[name]["per_category"].items():
            prec = "-" if m["precision"] is None else f"{m['precision']:.3f}"
            rec = "-" if m["recall"] is None else f"{m['recall']:.3f}"
            print(
                f"  {category:<18}{prec:>7}{rec:>8}{m['tp']:>6}{m['fp']:>5}{m['fn']:>5}"
                f"{m['exact_boundaries']:>7}"
            )
        lat = result[name]["latency_ms"]
        dig = lat["sentences_with_7_digits"]
        print(
            f"  latency per sentence: p50 {lat['p50']:.3f} ms, p99 {lat['p99']:.3f} ms; "
            f"the {dig['n']} with 7+ digits: p50 {dig['p50']:.3f} ms, p99 {dig['p99']:.3f} ms"
        )
    print("\ntargets missed:", ", ".join(result["targets_missed"]) or "none")
    for kind in ("fp", "fn"):
        for line in result["ours"].get("errors", {}).get(kind, []):
            print(f"  {kind}: {line}")
    if "support_queries" in result:
        sq = result["support_queries"]
        print(
            f"\nsupport queries (banking77 + clinc150, no PII): {sq['flagged']} flagged in "
            f"{sq['queries']} ({sq['queries_with_7_digits']} with 7+ digits); ABCD customer "
            f"turns: email/phone found {sq['abcd_email_phone_found']}, order ids flagged "
            f"{sq['abcd_order_ids_flagged']}"
        )
        for line in sq["flagged_examples"]:
            print(f"  {line}")
        for lang, lat in result["short_message_latency_ms"].items():
            print(
                f"short messages ({lat['messages']}, mean {lat['mean_chars']} chars), "
                f"language={lang}: p50 {lat['p50']:.3f} ms, p99 {lat['p99']:.3f} ms"
            )
    pf = result["phone_formats"]
    print("\nphone example numbers, all regions:", pf["counts"])
    for line in pf["misses"]:
        print(f"  missed: {line}")
    print("generated traps flagged:", result["number_traps"]["flagged"])
    for line in result["number_traps"]["examples"]:
        print(f"  {line}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data"))
    parser.add_argument("--language", default="en", help="passed to find_pii; 'none' for None")
    parser.add_argument("--presidio", action="store_true", help="also score presidio's")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    language = None if args.language.lower() == "none" else args.language
    result = run(args.data, language=language, compare_presidio=args.presidio)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
    else:
        _print(result)


if __name__ == "__main__":
    main()
