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
from supportbot.knowledge.retrieval import features, idf, score

FALLBACK_LANGUAGE = "en"
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
    score: float  # dense cosine plus the lexical assist, averaged over versions (``search``)
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
        small_talk_kinds: list[str],
        *,
        lexical_weight: float,
    ) -> None:
        self.passages = passages
        self.vectors = vectors  # (n_passages, dim), normalised
        self.lexical = lexical
        self.rarity = idf(lexical)
        self.small_talk = small_talk  # (n_examples, dim), normalised queries
        self.small_talk_kinds = small_talk_kinds
        self.lexical_weight = lexical_weight
        # slug -> language -> the indices of that version's passages
        self.versions: dict[str, dict[str, list[int]]] = {}
        for i, passage in enumerate(passages):
            self.versions.setdefault(passage.slug, {}).setdefault(passage.language, []).append(i)

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
        kinds, examples = zip(*small_talk_examples(), strict=True)
        return cls(
            passages,
            vectors,
            lexical,
            embedder.embed_queries(list(examples)),
            list(kinds),
            lexical_weight=lexical_weight,
        )

    def vectors_by_text(self) -> dict[str, np.ndarray]:
        return {_key(p.text): v for p, v in zip(self.passages, self.vectors, strict=True)}

    def search(self, query: np.ndarray, question: str, language: str, k: int = 3) -> list[Hit]:
        """The ``k`` best topics for the question, best first, each with the passage to show.

        A topic scores the mean of its English version and its version in the customer's
        language (English alone when it has no such version): e5 rates a passage in the
        question's own language higher whatever it says, and averaging keeps topics with
        ten language versions from outvoting an English-only one (``bench/answers_eval.py``:
        hit@3 0.905 with the best version alone, 0.942 averaged, 0.955 with the lexical
        assist). The passage shown is the customer's version, else the English one.
        """
        if not self.passages:
            return []
        combined = self.vectors @ query
        if self.lexical_weight:
            wanted = features(question)
            lexical = np.array([score(wanted, doc, self.rarity) for doc in self.lexical])
            if lexical.max(initial=0.0) > 0:
                combined = combined + self.lexical_weight * lexical / lexical.max()
        language = (language or FALLBACK_LANGUAGE).split("-")[0].lower()
        topics: list[tuple[float, str, int]] = []
        for slug, versions in self.versions.items():
            best = {lang: max(ids, key=lambda i: combined[i]) for lang, ids in versions.items()}
            english = best.get(FALLBACK_LANGUAGE)
            if english is None:
                english = max(best.values(), key=lambda i: combined[i])
            own = best.get(language)
            if own is None:
                topics.append((float(combined[english]), slug, english))
            else:
                topics.append((float(combined[english] + combined[own]) / 2, slug, own))
        topics.sort(key=lambda topic: -topic[0])
        return [Hit(slug, value, self.passages[i]) for value, slug, i in topics[:k]]

    def small_talk_match(self, query: np.ndarray) -> tuple[float, str]:
        """(cosine, kind) of the nearest greeting, thanks, goodbye or "are you a bot?"."""
        if not len(self.small_talk):
            return 0.0, ""
        scores = self.small_talk @ query
        best = int(scores.argmax())
        return float(scores[best]), self.small_talk_kinds[best]


def small_talk_examples() -> list[tuple[str, str]]:
    """(kind, example) pairs: greeting, thanks, bye, bot."""
    lines = SMALL_TALK_FILE.read_text(encoding="utf-8").splitlines()
    pairs = []
    for line in lines:
        if line.strip() and not line.startswith("#"):
            kind, _, text = line.partition(":")
            pairs.append((kind.strip(), unicodedata.normalize("NFC", text.strip())))
    return pairs


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
