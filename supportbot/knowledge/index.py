"""Dense retrieval over the knowledge base, in any language, with a lexical assist.

Every published article version is cut into passages and embedded once
(``supportbot.embeddings``); a question is embedded as a query and compared with all of them,
whatever their language, so a question in a language the knowledge base lacks still finds the
English article. Scores are gathered per topic (``slug``): the passage shown is the version in
the customer's language when one exists, else English. The existing lexical score
(``retrieval.features``) is added with a small weight; ``bench/answers_eval.py`` measures it.

Each version's title and example questions (``KnowledgeArticle.questions``) are embedded as
queries too: e5 rates a question against a question of the same meaning far more clearly than
against a passage, whatever the two languages, so a topic's score mixes its best passage
with its nearest question (``question_weight``).

The index is built on first use and cached in the process; saving or deleting an article
bumps a version number in the shared cache, so every process rebuilds (re-embedding only
passages whose text changed). The vectors are kept on disk too (``embeddings.stored``), so a
new process embeds only what changed since the last one.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from supportbot.embeddings.service import Embedder
from supportbot.embeddings.stored import embed_reusing, load_vectors, save_vectors, vector_file
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
    questions: tuple[str, ...] = ()


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


def _normalised(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.maximum(norms, 1e-9)).astype(np.float32)


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
        questions: np.ndarray | None = None,
        question_slugs: Sequence[str] = (),
        question_texts: Sequence[str] = (),
        question_languages: Sequence[str] = (),
        question_weight: float = 0.0,
        known: dict[str, np.ndarray] | None = None,
    ) -> None:
        self.passages = passages
        self.known = known or {}  # every vector embedded, by kind and text, for the next build
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
        questions = questions if questions is not None else np.empty((0, vectors.shape[1]))
        # e5 puts every text's language in its vector as well as its meaning: two unrelated
        # questions in one language score about as high as two paraphrases in different
        # ones. Removing each language's mean direction (as in Libovický et al., 2020) leaves
        # the meaning, so a Turkish question can still find an English-only article.
        self.language_means: dict[str, np.ndarray] = {}
        if len(questions):
            self.language_means[""] = questions.mean(axis=0)
            by_language: dict[str, list[int]] = {}
            for i, code in enumerate(question_languages):
                by_language.setdefault(code, []).append(i)
            for code, ids in by_language.items():
                self.language_means[code] = questions[ids].mean(axis=0)
            languages = list(question_languages) or [""] * len(questions)
            questions = _normalised(
                questions - np.vstack([self.language_means[code] for code in languages])
            )
        self.questions = questions
        self.question_weight = question_weight if len(self.questions) else 0.0
        self.question_slugs = list(question_slugs)
        self.question_texts = list(question_texts)
        grouped: dict[str, list[int]] = {}
        for i, slug in enumerate(question_slugs):
            grouped.setdefault(slug, []).append(i)
        self.question_groups = {slug: np.array(ids) for slug, ids in grouped.items()}

    @classmethod
    def build(
        cls,
        articles: Iterable[SourceArticle],
        embedder: Embedder,
        *,
        lexical_weight: float,
        question_weight: float = 0.0,
        known: dict[str, np.ndarray] | None = None,
    ) -> KnowledgeIndex:
        """Cut, embed (reusing ``known`` vectors by text) and index ``articles``."""
        passages: list[Passage] = []
        lexical: list[dict[str, float]] = []
        questions: list[str] = []
        question_slugs: list[str] = []
        question_languages: list[str] = []
        for article in articles:
            for question in (article.title, *article.questions):
                if question.strip():
                    questions.append(question.strip())
                    question_slugs.append(article.slug)
                    question_languages.append(article.language.split("-")[0].lower())
            keywords = " ".join(article.keywords)
            for chunk in split_passages(article.body):
                text = f"{article.title}: {chunk}"
                passages.append(
                    Passage(article.slug, article.language, article.title, text, article.url, chunk)
                )
                lexical.append(features(f"{keywords} {text}"))
        # Only what this build uses is kept: vectors of edited or deleted texts are dropped.
        previous, known = known or {}, {}
        vectors = embed_reusing([p.text for p in passages], "passage", embedder, previous, known)
        question_vectors = embed_reusing(questions, "query", embedder, previous, known)
        kinds, examples = zip(*small_talk_examples(), strict=True)
        return cls(
            passages,
            vectors,
            lexical,
            embed_reusing(list(examples), "query", embedder, previous, known),
            list(kinds),
            lexical_weight=lexical_weight,
            questions=question_vectors,
            question_slugs=question_slugs,
            question_texts=questions,
            question_languages=question_languages,
            question_weight=question_weight,
            known=known,
        )

    def search(self, query: np.ndarray, question: str, language: str, k: int = 3) -> list[Hit]:
        """The ``k`` best topics for the question, best first, each with the passage to show.

        A topic's passage part is the mean of its English version and its version in the
        customer's language (English alone when it has no such version): e5 rates a passage
        in the question's own language higher whatever it says, and averaging keeps topics
        with many language versions from outvoting an English-only one. Its question part is
        its nearest title or example question, language directions removed; the two mix by
        ``question_weight`` (docs/knowledge-base.md has the measurements). The passage shown
        is the customer's version, else the English one.
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
        weight = self.question_weight
        asked = None
        if weight:
            mean = self.language_means.get(language, self.language_means[""])
            asked = self.questions @ _normalised(query - mean)
        topics: list[tuple[float, str, int]] = []
        for slug, versions in self.versions.items():
            best = {lang: max(ids, key=lambda i: combined[i]) for lang, ids in versions.items()}
            english = best.get(FALLBACK_LANGUAGE)
            if english is None:
                english = max(best.values(), key=lambda i: combined[i])
            own = best.get(language)
            if own is None:
                value, shown = float(combined[english]), english
            else:
                value, shown = float(combined[english] + combined[own]) / 2, own
            group = self.question_groups.get(slug)
            if asked is not None and group is not None:
                value = (1 - weight) * value + weight * float(asked[group].max())
            topics.append((value, slug, shown))
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
        self,
        version: object,
        load: callable,
        embedder: Embedder,
        *,
        lexical_weight: float,
        question_weight: float = 0.0,
    ) -> KnowledgeIndex:
        with self._lock:
            if self._index is None or self._stale or version != self._version:
                self._stale = False
                kept = vector_file("knowledge", embedder)
                # A new process starts from the vectors the last one kept.
                known = (
                    self._index.known if self._index is not None else load_vectors(kept, embedder)
                )
                self._index = KnowledgeIndex.build(
                    load(),
                    embedder,
                    lexical_weight=lexical_weight,
                    question_weight=question_weight,
                    known=known,
                )
                self._version = version
                if self._index.known.keys() != known.keys():
                    save_vectors(kept, self._index.known, embedder)
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
            questions=tuple(row.questions or ()),
        )
        for row in rows
    ]
