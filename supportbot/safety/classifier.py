"""The learned part of the safety filter: per-category probabilities for customer messages.

A small MLP with one sigmoid output per category (``data/heads.npz``, written by
``python -m supportbot.safety.train``) over multilingual USE v3 embeddings, with one threshold
per category. Texts in scripts USE cannot read are gated, and a small hand-written phrase
lexicon covers a few languages outside USE (``supportbot.safety.lexicon``).
The same call screens model output sentences: the heads do not care who wrote
the text.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from supportbot.safety.embeddings import embed
from supportbot.safety.lexicon import is_unreadable, lexicon_scores
from supportbot.safety.verdict import Category

HEADS_PATH = Path(__file__).parent / "data" / "heads.npz"


@dataclass(frozen=True)
class Heads:
    categories: tuple[Category, ...]
    w1: np.ndarray  # (512, hidden)
    b1: np.ndarray
    w2: np.ndarray  # (hidden, n_categories)
    b2: np.ndarray
    thresholds: dict[Category, float]


@functools.cache
def load_heads(path: Path = HEADS_PATH) -> Heads:
    with np.load(path, allow_pickle=False) as z:
        cats = tuple(Category(str(c)) for c in z["categories"])
        return Heads(
            categories=cats,
            w1=z["w1"],
            b1=z["b1"],
            w2=z["w2"],
            b2=z["b2"],
            thresholds={c: float(t) for c, t in zip(cats, z["thresholds"], strict=True)},
        )


def score_embeddings(x: np.ndarray, heads: Heads | None = None) -> np.ndarray:
    """Probabilities, shape (len(x), n_categories), in ``heads.categories`` order."""
    heads = heads or load_heads()
    hidden = np.maximum(x @ heads.w1 + heads.b1, 0.0)
    return 1.0 / (1.0 + np.exp(-(hidden @ heads.w2 + heads.b2)))


def score_batch(texts: list[str], heads: Heads | None = None) -> np.ndarray:
    """Scores, shape (len(texts), n_categories): the heads, gated and joined with the lexicon.

    Texts mostly in scripts the embedding cannot read get no learned scores (they would be
    noise); every text gets the lexicon's hits (see ``supportbot.safety.lexicon``).
    """
    heads = heads or load_heads()
    probs = score_embeddings(embed(texts), heads)
    for i, text in enumerate(texts):
        if is_unreadable(text):
            probs[i] = 0.0
        for cat, score in lexicon_scores(text).items():
            if cat in heads.categories:
                j = heads.categories.index(cat)
                probs[i, j] = max(probs[i, j], score)
    return probs


def score_texts(texts: list[str]) -> list[dict[Category, float]]:
    """Probability per category for each text (one batched embedding call)."""
    heads = load_heads()
    probs = score_batch(texts, heads)
    return [dict(zip(heads.categories, map(float, row), strict=True)) for row in probs]


def thresholds() -> dict[Category, float]:
    """The score at or above which a category counts as found."""
    return dict(load_heads().thresholds)


def flagged(scores: dict[Category, float]) -> tuple[Category, ...]:
    """The categories whose score reaches their threshold, strongest first."""
    limits = load_heads().thresholds
    hits = [c for c, s in scores.items() if s >= limits.get(c, 1.1)]
    return tuple(sorted(hits, key=lambda c: -scores[c]))


def classify(texts: list[str]) -> list[tuple[Category, ...]]:
    """Flagged categories per text; an empty tuple means the classifier found nothing."""
    return [flagged(s) for s in score_texts(texts)]
