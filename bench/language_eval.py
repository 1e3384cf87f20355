"""Measure the conversation-language detector against plain (seeded) langdetect.

Usage (from the repository root):

    python bench/language_eval.py --data ../shared/data --json

Data sets, read from the data folder and never copied into the repository:

* xsid: `language/xsid_test_utterances.tsv`, short chat-style commands. Only languages
  langdetect knows are scored (ar da de en id it ja lt nl no tr zh). German dialect rows are
  scored as German, since a German answer is the right one for them: de-ba (Bavarian),
  de-muc (Munich), de-st (South Tyrolean) and gsw (Swiss German). kk, nap and sr are left
  out (not in langdetect, or not in the list above). Rows are split by position into
  `dev` (even) and `test` (odd); the detector's weights were chosen on `dev` only.
* lingua_sentences / lingua_word_pairs: `language/lingua_{sentences,word_pairs}/<iso>.txt`.

Both methods see the text alone (no locale, no history). `xsid_with_locale` then gives our
detector a locale: the true language on even rows of each language and a wrong, common one
("en", or "de" for English rows) on odd rows, to show the prior helps without dominating.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from langdetect import DetectorFactory, LangDetectException
from langdetect import detect as langdetect_detect
from langdetect.detector_factory import PROFILES_DIRECTORY

from supportbot.chat.language import detect_language

XSID_LANGS = ("ar", "da", "de", "en", "id", "it", "ja", "lt", "nl", "no", "tr", "zh")
# Languages langdetect has a profile for, as ISO 639-1 ("zh-cn"/"zh-tw" -> "zh").
LANGDETECT_LANGS = frozenset(name.split("-")[0] for name in os.listdir(PROFILES_DIRECTORY))
XSID_MAPPED = {"de-ba": "de", "de-muc": "de", "de-st": "de", "gsw": "de"}

Sample = tuple[str, str, str]  # (gold language, source code, text)


def _spread(rows: list, limit: int) -> list:
    """Evenly spaced subset, so a cap keeps the file's variety (xSID's Norwegian dialects)."""
    if limit <= 0 or len(rows) <= limit:
        return rows
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


def load_xsid(data: Path, split: str, limit: int) -> tuple[list[Sample], list[str]]:
    by_code: dict[str, list[Sample]] = defaultdict(list)
    excluded: set[str] = set()
    lines = (data / "language" / "xsid_test_utterances.tsv").read_text("utf-8").splitlines()
    for position, line in enumerate(lines[1:]):
        code, _intent, text = line.split("\t", 2)
        gold = XSID_MAPPED.get(code, code)
        if gold not in XSID_LANGS:
            excluded.add(code)
            continue
        if (split == "dev" and position % 2) or (split == "test" and not position % 2):
            continue
        by_code[code].append((gold, code, text))
    samples = [s for code in sorted(by_code) for s in _spread(by_code[code], limit)]
    return samples, sorted(excluded)


def load_lingua(data: Path, name: str, limit: int) -> list[Sample]:
    samples: list[Sample] = []
    for path in sorted((data / "language" / name).glob("*.txt")):
        lines = [ln.strip() for ln in path.read_text("utf-8").splitlines() if ln.strip()]
        samples += [(path.stem, path.stem, ln) for ln in _spread(lines, limit)]
    return samples


def baseline(text: str) -> str:
    try:
        code = langdetect_detect(text)
    except LangDetectException:
        return "unknown"
    return "zh" if code.startswith("zh") else code


def ours(text: str) -> str:
    return detect_language(text).code


def score(
    samples: Iterable[Sample], method: Callable[[str, int], str], latencies: list[float]
) -> dict:
    hits: dict[str, list[int]] = defaultdict(list)
    by_code: dict[str, list[int]] = defaultdict(list)
    for i, (gold, code, text) in enumerate(samples):
        start = time.perf_counter()
        guess = method(text, i)
        latencies.append(time.perf_counter() - start)
        hits[gold].append(guess == gold)
        by_code[code].append(guess == gold)
    per_language = {lang: round(sum(v) / len(v), 4) for lang, v in sorted(hits.items())}
    result = {
        "per_language_mean": round(statistics.mean(per_language.values()), 4),
        "per_language": per_language,
    }
    unknown = sorted(set(per_language) - LANGDETECT_LANGS)
    if unknown:
        # Malay has no langdetect profile; show the mean it leaves aside as well.
        result[f"per_language_mean_without_{'_'.join(unknown)}"] = round(
            statistics.mean(v for k, v in per_language.items() if k in LANGDETECT_LANGS), 4
        )
    if any(code != gold for gold, code, _ in samples):
        result["per_source_code"] = {
            code: round(sum(v) / len(v), 4) for code, v in sorted(by_code.items())
        }
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="shared data folder")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--split", choices=("all", "dev", "test"), default="all")
    parser.add_argument(
        "--max-per-lang", type=int, default=500,
        help="cap per language file / xSID code, evenly spaced (0: no cap)",
    )  # fmt: skip
    parser.add_argument(
        "--sets", default="xsid,xsid_with_locale,lingua_sentences,lingua_word_pairs"
    )
    parser.add_argument("--no-baseline", action="store_true")
    args = parser.parse_args(argv)

    DetectorFactory.seed = 0
    wanted = set(args.sets.split(","))
    latency: dict[str, list[float]] = {"baseline": [], "ours": []}
    report: dict = {"split": args.split, "max_per_lang": args.max_per_lang}

    def run(name: str, samples: list[Sample]) -> None:
        entry: dict = {"n": len(samples)}
        if not args.no_baseline:
            entry["baseline"] = score(samples, lambda t, _i: baseline(t), latency["baseline"])
        entry["ours"] = score(samples, lambda t, _i: ours(t), latency["ours"])
        report[name] = entry

    xsid, excluded = load_xsid(args.data, args.split, args.max_per_lang)
    if "xsid" in wanted:
        run("xsid", xsid)
        report["xsid"]["mapped_codes"] = XSID_MAPPED
        report["xsid"]["excluded_codes"] = excluded
    if "xsid_with_locale" in wanted:
        seen: dict[str, int] = defaultdict(int)
        locales = []
        for gold, _code, _text in xsid:
            wrong = "de" if gold == "en" else "en"
            locales.append(gold if seen[gold] % 2 == 0 else wrong)
            seen[gold] += 1

        def with_locale(text: str, i: int) -> str:
            return detect_language(text, locale=locales[i]).code

        report["xsid_with_locale"] = {
            "n": len(xsid), "ours": score(xsid, with_locale, [])
        }  # fmt: skip
    for name in ("lingua_sentences", "lingua_word_pairs"):
        if name in wanted:
            run(name, load_lingua(args.data, name, args.max_per_lang))

    report["latency_ms_p50"] = {
        name: round(statistics.median(values) * 1000, 3)
        for name, values in latency.items()
        if values
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        for name, entry in report.items():
            if not isinstance(entry, dict) or "ours" not in entry:
                continue
            base = entry.get("baseline", {}).get("per_language_mean")
            print(
                f"{name:20s} n={entry['n']:6d} baseline={base} "
                f"ours={entry['ours']['per_language_mean']}"
            )
        print("latency p50 ms:", report["latency_ms_p50"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
