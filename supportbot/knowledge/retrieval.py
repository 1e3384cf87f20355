"""Pick the knowledge-base articles that answer a question (pure Python, no Django).

Scoring is bag-of-features overlap weighted by field (keywords > title > body) and by how rare a
feature is among the candidates. Han, Kana and Hangul runs become character bigrams, since those
scripts do not separate words with spaces (and Korean particles glue onto nouns); everything else
becomes case- and accent-folded words plus a short prefix, so "Versand" meets "Versandkosten".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol

FALLBACK_LANGUAGE = "en"
_FIELD_WEIGHTS = (("keywords", 3.0), ("title", 2.0), ("body", 1.0))
_PREFIX_LEN = 5  # long enough to keep unrelated words apart, short enough for compounds
_PREFIX_WEIGHT = 0.5
# An English article must score clearly better before it beats one in the customer's language.
_FALLBACK_DISCOUNT = 0.8

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


class ArticleLike(Protocol):
    slug: str
    topic: str
    language: str
    title: str
    body: str
    keywords: Sequence[str]


@dataclass(frozen=True, slots=True)
class Article:
    slug: str
    topic: str
    language: str
    title: str
    body: str
    keywords: tuple[str, ...] = ()


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


@lru_cache(maxsize=4096)
def _article_features(title: str, body: str, keywords: tuple[str, ...]) -> dict[str, float]:
    fields = {"keywords": " ".join(keywords), "title": title, "body": body}
    merged: dict[str, float] = {}
    for name, weight in _FIELD_WEIGHTS:
        for feature, strength in features(fields[name]).items():
            merged[feature] = max(merged.get(feature, 0.0), weight * strength)
    return merged


def _features_of(article: ArticleLike) -> dict[str, float]:
    return _article_features(article.title, article.body, tuple(article.keywords))


def _idf(docs: Iterable[dict[str, float]]) -> dict[str, float]:
    counts: dict[str, int] = {}
    total = 0
    for doc in docs:
        total += 1
        for feature in doc:
            counts[feature] = counts.get(feature, 0) + 1
    return {f: math.log(1.0 + total / n) for f, n in counts.items()}


def score(question: dict[str, float], doc: dict[str, float], idf: dict[str, float]) -> float:
    return sum(q * doc[f] * idf.get(f, 1.0) for f, q in question.items() if f in doc)


def select_articles(
    question: str,
    language: str,
    articles: Sequence[ArticleLike],
    k: int = 2,
    *,
    min_ratio: float = 0.4,
) -> list[ArticleLike]:
    """The `k` best-matching articles for `question`, in `language` where that exists.

    Articles in the customer's language and in English both compete (a German customer may
    write in English), but the article returned for a topic is the customer-language version
    when there is one. Articles that share no feature with the question are never returned, nor
    ones scoring below `min_ratio` of the best: a small model answers worse with a loosely related
    second article than with none.
    """
    if k <= 0 or not articles:
        return []
    language = (language or FALLBACK_LANGUAGE).split("-")[0].lower()
    by_slug: dict[str, dict[str, ArticleLike]] = {}
    for article in articles:
        if article.language in (language, FALLBACK_LANGUAGE):
            by_slug.setdefault(article.slug, {})[article.language] = article
    candidates = [a for versions in by_slug.values() for a in versions.values()]
    if not candidates:
        return []
    docs = [_features_of(a) for a in candidates]
    idf = _idf(docs)
    wanted = features(question)
    best: dict[str, float] = {}
    for article, doc in zip(candidates, docs, strict=True):
        value = score(wanted, doc, idf)
        if article.language != language:
            value *= _FALLBACK_DISCOUNT
        best[article.slug] = max(best.get(article.slug, 0.0), value)
    order = {slug: i for i, slug in enumerate(by_slug)}  # ties keep the caller's order
    top = max(best.values(), default=0.0)
    ranked = sorted(
        (s for s in best if best[s] > 0 and best[s] >= min_ratio * top),
        key=lambda s: (-best[s], order[s]),
    )
    return [by_slug[slug].get(language) or by_slug[slug][FALLBACK_LANGUAGE] for slug in ranked[:k]]
