"""Matching a text against a bank of hand-written examples in multilingual embeddings.

The escalation detectors (``human_request``, ``sentiment``, ``bot_handover``) each keep a file
of examples that match and hard negatives that do not. A text matches when the mean cosine of
its ``TOP_K`` nearest matching examples reaches a threshold and beats that of its ``TOP_K``
nearest other examples by a margin (``rule_score`` folds that into one number). The
embeddings are the project's multilingual-e5-small (``supportbot.embeddings.service``), every
text embedded as a query: examples and messages are the same kind of text.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from supportbot.embeddings.once import load_once
from supportbot.embeddings.service import get_embedder
from supportbot.embeddings.stored import embed_kept_queries

# Similarity to a side of the bank is the mean over its TOP_K nearest examples: one odd
# example, or a message that happens to share one example's words, then cannot decide alone.
TOP_K = 3

# Candidate sentence ends: full-width punctuation, or Latin-style punctuation before a space.
_SENTENCE_END = re.compile(r"[。！？；]+|[.!?;؟।]+(?=\s)|\n+")
# A fragment scored on its own needs this many words ("Help please." means nothing alone), or
# this many characters in scripts written without spaces between words (Chinese, Japanese,
# Thai), where a few characters make a sentence ("太离谱了！").
_MIN_WORDS = 3
_MIN_CHARS_UNSPACED = 4
_UNSPACED_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff]")


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    match: bool


@dataclass(frozen=True)
class Bank:
    positives: np.ndarray  # (n_pos, dim) embeddings of the examples that match
    negatives: np.ndarray  # (n_neg, dim) embeddings of the others


def embed(texts: list[str]) -> np.ndarray:
    """Normalised embeddings, (len(texts), dim); repeated messages come from its cache."""
    return get_embedder().embed_queries(texts)


def load_examples(path: Path) -> list[Example]:
    """Hand-written examples: one JSON object a line with text, language and match."""
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [Example(r["text"], r["language"], bool(r["match"])) for r in rows]


@load_once
def load_bank(path: Path) -> Bank:
    """The examples in ``path``, embedded once per process."""
    examples = load_examples(path)
    # Kept between starts: embedding the banks took seconds of every process's start.
    vectors = embed_kept_queries(f"bank-{path.stem}", [e.text for e in examples], get_embedder())
    is_pos = np.array([e.match for e in examples])
    return Bank(positives=vectors[is_pos], negatives=vectors[~is_pos])


def top_k_mean(sim: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """Mean of the ``k`` largest entries in each row of ``sim``, shape (n, m) -> (n,)."""
    k = min(k, sim.shape[1])
    return np.sort(sim, axis=1)[:, -k:].mean(axis=1)


def rule_score(
    pos_sim: np.ndarray, neg_sim: np.ndarray, threshold: float, margin: float
) -> np.ndarray:
    """The decision rule as one number in [0, 1], ``>= threshold`` exactly when it holds.

    That is the positive similarity, pulled below ``threshold`` by however much its lead over
    the negative similarity falls short of ``margin``.
    """
    return np.clip(np.minimum(pos_sim, threshold + pos_sim - neg_sim - margin), 0.0, 1.0)


def _long_enough(fragment: str) -> bool:
    if _UNSPACED_SCRIPT.search(fragment):
        return len(fragment) >= _MIN_CHARS_UNSPACED
    return len(fragment.split()) >= _MIN_WORDS


def _sentences(text: str) -> list[str]:
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        rest = text[m.end() :].lstrip()
        # "número do B.O. para", "w 7. miesiącu": no new sentence starts in lower case.
        if "\n" not in m.group() and rest and (rest[0].islower() or rest[0].isdigit()):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def segments(text: str) -> list[str]:
    """The whole text, then those of its sentences that can stand alone, when there are two
    or more sentences."""
    sentences = _sentences(text)
    fragments = [s for s in sentences if _long_enough(s)]
    return [text, *fragments] if len(sentences) > 1 and fragments else [text]


def bank_scores(
    texts: list[str], bank: Bank, threshold: float, margin: float, *, by_sentence: bool = True
) -> np.ndarray:
    """``rule_score`` of each text (with ``by_sentence``, the best over the text and its
    sentences). One embedding call for the batch."""
    owners: list[int] = []
    pieces: list[str] = []
    for i, text in enumerate(texts):
        for piece in segments(text) if by_sentence else [text]:
            owners.append(i)
            pieces.append(piece)
    x = embed(pieces)
    pos, neg = top_k_mean(x @ bank.positives.T), top_k_mean(x @ bank.negatives.T)
    scores = np.zeros(len(texts))
    np.maximum.at(scores, np.array(owners, dtype=np.int64), rule_score(pos, neg, threshold, margin))
    return scores
