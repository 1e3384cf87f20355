"""Where should the bot stop answering? Calibrates the abstention thresholds of retrieval.

    python bench/retrieval_calibration.py --data ../shared/data --json

Two samples, neither of them the evaluation set of ``bench/answers_eval.py``:

- in scope: every example question of the demo knowledge base (``questions:`` in its files),
  asked with that one question left out of the index (leave-one-out), so it must be matched
  by the article's other questions and its text, as a customer's rewording would;
- out of scope: CLINC150's ``oos_train`` and ``oos_val`` queries (``--data support/``; the
  evaluation uses ``oos_test``).

It also reports how close a correct translation is to its source (``translation``: the first
sentence of each non-English version of an article against the whole English version, and
against another article's English version), which ``TRANSLATION_MIN_SIMILARITY`` in
``supportbot/serving/reply_checks.py`` is set from.

For each candidate minimum score it prints how many in-scope questions are still answered from
the right article and how many out-of-scope queries would be answered; ``recommended`` is the
lowest threshold whose out-of-scope rate is at most ``--target``. The retrieval path is the
chat's own (``supportbot.knowledge.search.retrieve``).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def setup(workdir: Path) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "supportbot.settings",
            "DEBUG": "1",
            "DATABASE_URL": f"sqlite:///{workdir / 'calibration.sqlite3'}",
            "SUPPORTBOT_VAR_DIR": str(workdir),
            "LOG_LEVEL": "ERROR",
            # Score every question: the thresholds are what this script chooses.
            "SUPPORTBOT_RETRIEVAL_MIN_SCORE": "0",
            "SUPPORTBOT_RETRIEVAL_MIN_GAP": "0",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    call_command("load_demo_kb", verbosity=0, stdout=io.StringIO())


def score_sample(questions: list[tuple[str, str, str | None, int | None]]) -> list[dict]:
    """(text, language, expected slug, own question row) -> best score, right topic."""
    from supportbot.chat.language import detect_language
    from supportbot.knowledge.search import current_index, embed_question

    index = current_index()
    out = []
    for text, language, slug, own_row in questions:
        saved = None
        if own_row is not None:
            saved = index.questions[own_row].copy()
            index.questions[own_row] = 0.0  # left out: it cannot match itself
        try:
            language = language or detect_language(text).code
            hits = index.search(embed_question(text), text, language, 1)
        finally:
            if saved is not None:
                index.questions[own_row] = saved
        out.append(
            {
                "score": hits[0].score if hits else 0.0,
                "right": slug is not None and bool(hits) and hits[0].slug == slug,
            }
        )
    return out


def in_scope_questions() -> list[tuple[str, str, str, int]]:
    from supportbot.knowledge.models import KnowledgeArticle
    from supportbot.knowledge.search import current_index

    index = current_index()
    rows = {}
    for i, (slug, text) in enumerate(zip(index.question_slugs, index.question_texts, strict=True)):
        rows[(slug, text)] = i
    sample = []
    for article in KnowledgeArticle.objects.filter(published=True).order_by("slug", "language"):
        for text in article.questions or ():
            sample.append((text, article.language, article.slug, rows[(article.slug, text)]))
    return sample


def translation_similarity() -> dict:
    """First sentences of the parallel versions against their source and another article's."""
    from supportbot.embeddings.service import get_embedder
    from supportbot.knowledge.index import _SENTENCE_END
    from supportbot.knowledge.models import KnowledgeArticle

    embedder = get_embedder()
    english = {
        a.slug: embedder.embed_passages([a.body])[0]
        for a in KnowledgeArticle.objects.filter(language="en", published=True)
    }
    slugs = sorted(english)
    same, other = [], []
    for article in KnowledgeArticle.objects.exclude(language="en").filter(published=True):
        first = _SENTENCE_END.split(article.body.strip())[0]
        vector = embedder.embed_passages([first])[0]
        same.append(float(vector @ english[article.slug]))
        neighbour = slugs[(slugs.index(article.slug) + 1) % len(slugs)]
        other.append(float(vector @ english[neighbour]))
    return {
        "versions": len(same),
        "own_source_p01_p05_p50": [round(float(np.percentile(same, q)), 4) for q in (1, 5, 50)],
        "other_article_p50_p95": [round(float(np.percentile(other, q)), 4) for q in (50, 95)],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, required=True, help="../shared/data")
    parser.add_argument("--target", type=float, default=0.02, help="out-of-scope rate allowed")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="calibration-") as workdir:
        setup(Path(workdir))
        clinc = json.loads((args.data / "support" / "clinc150_data_full.json").read_text())
        negatives = [(text, "en", None, None) for text, _ in clinc["oos_train"] + clinc["oos_val"]]
        positives = score_sample(in_scope_questions())
        scored_negatives = score_sample(negatives)
        translation = translation_similarity()
        from django.conf import settings

        weights = {
            k: settings.SUPPORTBOT[k]
            for k in ("RETRIEVAL_QUESTION_WEIGHT", "RETRIEVAL_LEXICAL_WEIGHT")
        }
    pos = np.array([p["score"] for p in positives])
    right = np.array([p["right"] for p in positives])
    neg = np.array([n["score"] for n in scored_negatives])
    sweep = []
    for threshold in np.arange(0.30, 0.95, 0.005):
        sweep.append(
            {
                "min_score": round(float(threshold), 3),
                "in_scope_answered_right": round(float(((pos >= threshold) & right).mean()), 4),
                "out_of_scope_answered": round(float((neg >= threshold).mean()), 4),
            }
        )
    allowed = [row for row in sweep if row["out_of_scope_answered"] <= args.target]
    report = {
        "in_scope_questions": len(positives),
        "out_of_scope_queries": len(scored_negatives),
        "top1_right": round(float(right.mean()), 4),
        "weights": weights,
        "target_out_of_scope": args.target,
        "recommended": allowed[0] if allowed else None,
        "in_scope_score_p05_p50": [round(float(np.percentile(pos[right], q)), 4) for q in (5, 50)],
        "out_of_scope_score_p50_p95": [round(float(np.percentile(neg, q)), 4) for q in (50, 95)],
        "translation": translation,
        "sweep": sweep,
    }
    print(json.dumps(report, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
