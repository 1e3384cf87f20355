"""The learned part of the safety filter: per-category probabilities for any text.

multilingual-e5-small fine-tuned with one sigmoid output per harm category
(``supportbot.safety.encoder``; weights in ``data/classifier.npz``, written by
``python -m supportbot.safety train``), with one threshold per category. A small hand-written
phrase lexicon (``supportbot.safety.lexicon``) adds the plainest phrases in languages the
training data barely covers. The same call screens model output sentences: the network does
not care who wrote the text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from supportbot.embeddings.once import load_once
from supportbot.safety.encoder import WEIGHTS_PATH, SafetyEncoder, get_encoder
from supportbot.safety.lexicon import lexicon_scores
from supportbot.safety.verdict import Category


@dataclass(frozen=True)
class Classifier:
    categories: tuple[Category, ...]
    thresholds: dict[Category, float]
    encoder: SafetyEncoder


@load_once
def load_classifier(path: Path = WEIGHTS_PATH) -> Classifier:
    encoder = get_encoder(path)
    categories = tuple(Category(c) for c in encoder.categories)
    return Classifier(
        categories=categories,
        thresholds=dict(zip(categories, encoder.thresholds, strict=True)),
        encoder=encoder,
    )


def score_batch(texts: list[str], classifier: Classifier | None = None) -> np.ndarray:
    """Scores, shape (len(texts), n_categories): the network's, raised by lexicon hits."""
    classifier = classifier or load_classifier()
    probs = classifier.encoder.score(texts)
    for i, text in enumerate(texts):
        for cat, score in lexicon_scores(text).items():
            if cat in classifier.categories:
                j = classifier.categories.index(cat)
                probs[i, j] = max(probs[i, j], score)
    return probs


def score_texts(texts: list[str]) -> list[dict[Category, float]]:
    """Probability per category for each text (one batched call)."""
    classifier = load_classifier()
    probs = score_batch(texts, classifier)
    return [dict(zip(classifier.categories, map(float, row), strict=True)) for row in probs]


def thresholds() -> dict[Category, float]:
    """The score at or above which a category counts as found."""
    return dict(load_classifier().thresholds)


def flagged(scores: dict[Category, float]) -> tuple[Category, ...]:
    """The categories whose score reaches their threshold, strongest first."""
    limits = load_classifier().thresholds
    hits = [c for c, s in scores.items() if s >= limits.get(c, 1.1)]
    return tuple(sorted(hits, key=lambda c: -scores[c]))


def classify(texts: list[str]) -> list[tuple[Category, ...]]:
    """Flagged categories per text; an empty tuple means the classifier found nothing."""
    return [flagged(s) for s in score_texts(texts)]
