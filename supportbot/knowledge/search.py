"""Finding the passages that answer a question, or deciding that none does.

``retrieve`` is what the chat calls: the best topics (``index.KnowledgeIndex``), whether the
message is small talk, and whether to abstain (no passage relevant enough). The thresholds are
settings calibrated with ``bench/answers_eval.py`` (docs/knowledge-base.md).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.core.cache import cache

from supportbot.embeddings.service import get_embedder
from supportbot.knowledge.index import CachedIndex, Hit, KnowledgeIndex, as_sources
from supportbot.knowledge.models import KnowledgeArticle

logger = logging.getLogger(__name__)

INDEX_VERSION_KEY = "supportbot:kb-index-version"
_index = CachedIndex()


@dataclass(frozen=True, slots=True)
class Retrieval:
    hits: list[Hit]  # the relevant ones, best first (empty when abstaining)
    small_talk: bool
    abstain: bool
    small_talk_kind: str = ""  # greeting, thanks, bye, bot

    @property
    def sources(self) -> list[dict]:
        """The articles a reply may cite: ``{slug, language, title, url}``."""
        return [
            {
                "slug": hit.passage.slug,
                "language": hit.passage.language,
                "title": hit.passage.title,
                "url": hit.passage.url,
            }
            for hit in self.hits
        ]

    @property
    def knowledge(self) -> str:
        return "\n".join(hit.passage.text for hit in self.hits)


def invalidate() -> None:
    """Articles changed: every process rebuilds its index on its next search."""
    try:
        cache.set(INDEX_VERSION_KEY, uuid.uuid4().hex, timeout=None)
    except Exception:
        # The cache is down: this process still rebuilds; others catch up when it is back.
        logger.warning("could not announce a knowledge-base change", exc_info=True)
        _index.forget()


def _published() -> list:
    return as_sources(list(KnowledgeArticle.objects.filter(published=True)))


def _version() -> object:
    try:
        return cache.get(INDEX_VERSION_KEY)
    except Exception:
        # A cache outage must not stop the chat: answer from the index this process has.
        logger.warning("knowledge index version unknown: cache unavailable", exc_info=True)
        return _index.version


def current_index() -> KnowledgeIndex:
    options = settings.SUPPORTBOT
    return _index.get(
        _version(),
        _published,
        get_embedder(),
        lexical_weight=options["RETRIEVAL_LEXICAL_WEIGHT"],
        question_weight=options["RETRIEVAL_QUESTION_WEIGHT"],
    )


def embed_question(text: str) -> np.ndarray:
    return get_embedder().embed_query(text)


def retrieve(
    question: str, language: str, *, query: np.ndarray | None = None, k: int = 2
) -> Retrieval:
    """The passages for ``question`` (embedded here unless ``query`` is given)."""
    options = settings.SUPPORTBOT
    vector = embed_question(question) if query is None else query
    index = current_index()
    hits = index.search(vector, question, language, k=k + 1)
    best = hits[0].score if hits else 0.0
    # e5's cosines sit in a narrow band: a question nothing answers scores nearly as high as
    # one that is answered, but its best topic does not stand out from the runner-up.
    gap = best - hits[1].score if len(hits) > 1 else best
    small_talk, small_talk_kind = index.small_talk_match(vector)
    is_small_talk = small_talk >= options["SMALL_TALK_MIN_SCORE"] and small_talk > best
    relevant = [hit for hit in hits[:k] if hit.score >= best - options["RETRIEVAL_MARGIN"]]
    if is_small_talk or best < options["RETRIEVAL_MIN_SCORE"] or gap < options["RETRIEVAL_MIN_GAP"]:
        relevant = []
    return Retrieval(
        hits=relevant,
        small_talk=is_small_talk,
        small_talk_kind=small_talk_kind if is_small_talk else "",
        # Without any article there is nothing to ground on and nothing to abstain from:
        # a deployment that has not loaded its knowledge base gets the model's own answers.
        abstain=bool(index.passages) and not is_small_talk and not relevant,
    )
