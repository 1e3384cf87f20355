"""Lexical features of a question and a passage, and their overlap score (pure Python).

The dense retrieval (``knowledge.index``) adds this score with a small weight: overlap weighted
by how rare a feature is among the passages. Han, Kana and Hangul runs become character
bigrams, since those scripts do not separate words with spaces (and Korean particles glue onto
nouns); everything else becomes case- and accent-folded words plus a short prefix, so "Versand"
meets "Versandkosten".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable

_PREFIX_LEN = 5  # long enough to keep unrelated words apart, short enough for compounds
_PREFIX_WEIGHT = 0.5

_CJK = (
    "\u1100-\u11ff\u3040-\u30ff\u3130-\u318f\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7af\uf900-\ufaff\uff66-\uff9f"
)
_TOKEN_RE = re.compile(rf"([{_CJK}]+)|([^\W_{_CJK}]+)")
# Words so common in questions that they only add noise; rare-feature weighting handles the rest.
# "where"/"when" stay: they separate tracking and refund questions from the rest.
_STOPWORD_LINES = (
    "a an the i my me you your is are do does can how what which to of in on for it",
    "ich mein meine sie ist wie was kann der die das ein eine und zu",
    "je mon ma mes vous est les le la un une de du des et pour",
    "yo mi mis es el los las una y que por para",
    "eu o os as um e em",
    "il lo gli di che per",
)
_STOPWORDS = frozenset(word for line in _STOPWORD_LINES for word in line.split())


def _fold(word: str) -> str:
    # Customers often type without accents ("envio", "Ruckgabe"); compare without them.
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def features(text: str) -> dict[str, float]:
    """Weighted features of `text`: CJK character bigrams, folded words and word prefixes."""
    out: dict[str, float] = {}
    normalized = unicodedata.normalize("NFKC", text)
    for cjk, word in _TOKEN_RE.findall(normalized):
        if cjk:
            grams = [cjk] if len(cjk) == 1 else [cjk[i : i + 2] for i in range(len(cjk) - 1)]
            for gram in grams:
                out[gram] = 1.0
            continue
        folded = _fold(word)
        if folded in _STOPWORDS:
            continue
        out[folded] = 1.0
        if len(folded) > _PREFIX_LEN:
            prefix = folded[:_PREFIX_LEN] + "…"
            out[prefix] = max(out.get(prefix, 0.0), _PREFIX_WEIGHT)
    return out


def idf(docs: Iterable[dict[str, float]]) -> dict[str, float]:
    """How rare each feature is among ``docs`` (log-scaled)."""
    counts: dict[str, int] = {}
    total = 0
    for doc in docs:
        total += 1
        for feature in doc:
            counts[feature] = counts.get(feature, 0) + 1
    return {f: math.log(1.0 + total / n) for f, n in counts.items()}


def score(question: dict[str, float], doc: dict[str, float], rarity: dict[str, float]) -> float:
    """The question's overlap with ``doc``, rare features counting more."""
    return sum(q * doc[f] * rarity.get(f, 1.0) for f, q in question.items() if f in doc)
