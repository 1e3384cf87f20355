"""Dense retrieval over the knowledge base, in any language, with a lexical assist.

Every published article version is cut into passages and embedded once
(``supportbot.embeddings``); a question is embedded as a query and compared with all of them,
whatever their language, so a question in a language the knowledge base lacks still finds the
English article. Scores are gathered per topic (``slug``): the passage shown is the version in
the customer's language when one exists, else English. The existing lexical score
(``retrieval.features``) is added with a small weight; ``bench/answers_eval.py`` measures it.

The index is built on first use and cached in the process; saving or deleting an article
bumps a version number in the shared cache, so every process rebuilds (re-embedding only
passages whose text changed).
"""

from __future__ import annotations

import hashlib
import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from supportbot.embeddings.service import Embedder
from supportbot.knowledge.retrieval import FALLBACK_LANGUAGE, features, score

PASSAGE_MAX_CHARS = 600
SMALL_TALK_FILE = Path(__file__).parent / "data" / "small_talk.txt"
# A sentence ends at . ! ? followed by a space (not inside "4.95"), or at a CJK full stop.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")


@dataclass(frozen=True, slots=True)
class Passage:
    slug: str
    language: str
    title: str
    text: str  # what the prompt and the groundedness check see ("Title: chunk")
    url: str
    chunk: str = ""  # the article's own words, as a reply may quote them


@dataclass(frozen=True, slots=True)
class Hit:
    slug: str
    score: float  # dense cosine plus the lexical assist
    dense: float
    passage: Passage  # the version to show this customer


@dataclass(frozen=True, slots=True)
class SourceArticle:
    """What an index entry needs from an article row (``KnowledgeArticle`` or a test's)."""

    slug: str
    language: str
    title: str
    body: str
    keywords: tuple[str, ...]
    url: str


def split_passages(body: str, max_chars: int = PASSAGE_MAX_CHARS) -> list[str]:
    """Paragraphs, long ones cut at sentence ends into pieces of at most ``max_chars``."""
    out: list[str] = []
    for paragraph in (p.strip() for p in body.split("\n\n")):
        if not paragraph:
            continue
        piece = ""
        for sentence in _SENTENCE_END.split(paragraph):
            if piece and len(piece) + len(sentence) + 1 > max_chars:
                out.append(piece)
                piece = ""
            # Scripts written without spaces join their sentences without one.
            joiner = "" if piece.endswith(("。", "！", "？")) else " "
            piece = f"{piece}{joiner}{sentence}".strip()
        if piece:
            out.append(piece)
    return out


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class KnowledgeIndex:
    def __init__(
        self,
        passages: list[Passage],
        vectors: np.ndarray,
        lexical: list[dict[str, float]],
        small_talk: np.ndarray,
        *,
        lexical_weight: float,
    ) -> None:
        self.passages = passages
        self.vectors = vectors  # (n_passages, dim), normalised
        self.lexical = lexical
        self.small_talk = small_talk  # (n_examples, dim), normalised queries
        self.small_talk_kinds = [kind for kind, _text in small_talk_kinds()]
        self.lexical_weight = lexical_weight
        counts: dict[str, int] = {}
        for doc in lexical:
            for feature in doc:
                counts[feature] = counts.get(feature, 0) + 1
        total = max(1, len(lexical))
        self.idf = {f: float(np.log(1.0 + total / n)) for f, n in counts.items()}

    @classmethod
    def build(
        cls,
        articles: Iterable[SourceArticle],
        embedder: Embedder,
        *,
        lexical_weight: float,
        known: dict[str, np.ndarray] | None = None,
    ) -> KnowledgeIndex:
        """Cut, embed (reusing ``known`` vectors by text) and index ``articles``."""
        passages: list[Passage] = []
        lexical: list[dict[str, float]] = []
        for article in articles:
            keywords = " ".join(article.keywords)
            for chunk in split_passages(article.body):
                text = f"{article.title}: {chunk}"
                passages.append(
                    Passage(article.slug, article.language, article.title, text, article.url, chunk)
                )
                lexical.append(features(f"{keywords} {text}"))
        known = dict(known or {})
        missing = [p.text for p in passages if _key(p.text) not in known]
        for text, vector in zip(missing, embedder.embed_passages(missing), strict=True):
            known[_key(text)] = vector
        dim = embedder.dim
        vectors = (
            np.vstack([known[_key(p.text)] for p in passages])
            if passages
            else np.empty((0, dim), dtype=np.float32)
        )
        examples = small_talk_examples()
        small_talk = embedder.embed_queries(examples) if examples else np.empty((0, dim))
        return cls(passages, vectors, lexical, small_talk, lexical_weight=lexical_weight)

    def vectors_by_text(self) -> dict[str, np.ndarray]:
        return {_key(p.text): v for p, v in zip(self.passages, self.vectors, strict=True)}

    def search(self, query: np.ndarray, question: str, language: str, k: int = 3) -> list[Hit]:
        """The ``k`` best topics for the question, best first, each with the passage to show.

        A topic scores the mean of its English version and its version in the customer's
        language (English alone when it has no such version): e5 rates a passage in the
        question's own language higher whatever it says, and averaging keeps topics with
        ten language versions from outvoting an English-only one (``bench/answers_eval.py``:
        hit@3 0.905 with the best version alone, 0.942 averaged, 0.955 with the lexical
        assist).
        """
        if not self.passages:
            return []
        combined = self.vectors @ query
        if self.lexical_weight:
            wanted = features(question)
            lexical = np.array([score(wanted, doc, self.idf) for doc in self.lexical])
            if lexical.max(initial=0.0) > 0:
                combined = combined + self.lexical_weight * lexical / lexical.max()
        language = (language or FALLBACK_LANGUAGE).split("-")[0].lower()
        best_of: dict[tuple[str, str], int] = {}
        for i, passage in enumerate(self.passages):
            key = (passage.slug, passage.language)
            if key not in best_of or combined[i] > combined[best_of[key]]:
                best_of[key] = i
        topics: dict[str, tuple[float, int]] = {}
        for slug in {slug for slug, _lang in best_of}:
            english = best_of.get((slug, FALLBACK_LANGUAGE))
            own = best_of.get((slug, language))
            if english is None:
                english = max(
                    (i for (s, _l), i in best_of.items() if s == slug), key=lambda i: combined[i]
                )
            value = combined[english] if own is None else (combined[english] + combined[own]) / 2
            topics[slug] = (float(value), own if own is not None else english)
        ranked = sorted(topics, key=lambda slug: -topics[slug][0])[:k]
        return [
            Hit(slug, topics[slug][0], topics[slug][0], self.passages[topics[slug][1]])
            for slug in ranked
        ]

    def _shown(self, slug: str, matched: int, language: str, dense: np.ndarray) -> Passage:
        """The customer's language version of the topic's best passage, else English."""
        for wanted in (language, FALLBACK_LANGUAGE):
            candidates = [
                i for i, p in enumerate(self.passages) if p.slug == slug and p.language == wanted
            ]
            if candidates:
                return self.passages[max(candidates, key=lambda i: dense[i])]
        return self.passages[matched]

    def small_talk_score(self, query: np.ndarray) -> float:
        """How close the question is to greetings and thanks (cosine of the nearest)."""
        return self.small_talk_match(query)[0]

    def small_talk_match(self, query: np.ndarray) -> tuple[float, str]:
        """(cosine, kind) of the nearest small-talk example."""
        if not len(self.small_talk):
            return 0.0, ""
        scores = self.small_talk @ query
        best = int(scores.argmax())
        return float(scores[best]), self.small_talk_kinds[best]

    def versions(self, slug: str) -> dict[str, Passage]:
        """The first passage of each language version of a topic."""
        out: dict[str, Passage] = {}
        for passage in self.passages:
            if passage.slug == slug:
                out.setdefault(passage.language, passage)
        return out


def small_talk_kinds() -> list[tuple[str, str]]:
    """(kind, example) pairs: greeting, thanks, bye, bot."""
    lines = SMALL_TALK_FILE.read_text(encoding="utf-8").splitlines()
    pairs = []
    for line in lines:
        if line.strip() and not line.startswith("#"):
            kind, _, text = line.partition(":")
            pairs.append((kind.strip(), unicodedata.normalize("NFC", text.strip())))
    return pairs


def small_talk_examples() -> list[str]:
    return [text for _kind, text in small_talk_kinds()]


class CachedIndex:
    """The process's index, rebuilt when the shared version number moves."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._index: KnowledgeIndex | None = None
        self._version: object = None
        self._stale = False

    @property
    def version(self) -> object:
        return self._version

    def forget(self) -> None:
        """Rebuild on the next ``get`` whatever the version says."""
        with self._lock:
            self._stale = True

    def get(
        self, version: object, load: callable, embedder: Embedder, *, lexical_weight: float
    ) -> KnowledgeIndex:
        with self._lock:
            if self._index is None or self._stale or version != self._version:
                self._stale = False
                known = self._index.vectors_by_text() if self._index is not None else None
                self._index = KnowledgeIndex.build(
                    load(), embedder, lexical_weight=lexical_weight, known=known
                )
                self._version = version
            return self._index


def as_sources(rows: Sequence) -> list[SourceArticle]:
    return [
        SourceArticle(
            slug=row.slug,
            language=row.language,
            title=row.title,
            body=row.body,
            keywords=tuple(row.keywords or ()),
            url=getattr(row, "public_url", "") or "",
        )
        for row in rows
    ]
