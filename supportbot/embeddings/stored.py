"""Vectors kept on disk from one process start to the next.

Embedding a knowledge base takes most of a web process's start (26 s for the 231 demo
articles and their 1,617 example questions on two cores; minutes for a large base). The
vectors only change when a text or the embedding model does, so they are kept in
``SUPPORTBOT_CACHE_DIR/vectors`` (or ``SUPPORTBOT_VECTOR_DIR``) by the hash of their text,
and a new process embeds only what it has not seen. The escalation detectors' example banks
(9 s of every start) are kept the same way.

A file holds one embedder's vectors and a probe: the vector of a fixed sentence. A file whose
probe the current embedder no longer reproduces (another engine, new weights) is ignored, so
a stale cache can cost time but never mix two models' vectors.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from pathlib import Path

import numpy as np

from inference_worker.loader import model_cache_dir
from supportbot.embeddings.service import Embedder

logger = logging.getLogger(__name__)

__all__ = ["embed_kept_queries", "embed_reusing", "load_vectors", "save_vectors", "vector_file"]

PROBE = "Where is my parcel? It was due on Monday."
PROBE_MIN_COSINE = 0.9999


def vector_file(name: str, embedder: Embedder) -> Path:
    """Where ``name``'s vectors from ``embedder`` are kept: ``SUPPORTBOT_VECTOR_DIR``, by
    default ``vectors/`` in ``SUPPORTBOT_CACHE_DIR``."""
    engine = re.sub(r"[^a-z0-9]+", "-", embedder.name.lower()).strip("-")
    configured = os.environ.get("SUPPORTBOT_VECTOR_DIR")
    folder = Path(configured).expanduser() if configured else model_cache_dir() / "vectors"
    return folder / f"{name}-{engine}.npz"


def _probe(embedder: Embedder) -> np.ndarray:
    # Through the query cache: reading a file and writing it back embed the probe once.
    return embedder.embed_query(PROBE)


def load_vectors(path: Path, embedder: Embedder) -> dict[str, np.ndarray]:
    """The vectors kept in ``path`` by key, or none when there are none this embedder made
    (no file, an unreadable one, or another model's)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            keys, vectors, probe = data["keys"], data["vectors"], data["probe"]
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KeyError):
        logger.warning("ignoring unreadable vector file %s", path, exc_info=True)
        return {}
    if probe.shape != (embedder.dim,) or float(probe @ _probe(embedder)) < PROBE_MIN_COSINE:
        logger.info("ignoring %s: made by another embedding model", path)
        return {}
    return dict(zip(keys.tolist(), vectors, strict=True))


def save_vectors(path: Path, vectors: dict[str, np.ndarray], embedder: Embedder) -> None:
    """Keep ``vectors`` (they replace what ``path`` held). Best effort: a read-only or full
    disk costs the next start its time, nothing else."""
    tmp = path.with_name(f"{path.stem}.{os.getpid()}-{threading.get_ident()}.tmp.npz")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        stacked = (
            np.vstack(list(vectors.values())).astype(np.float32)
            if vectors
            else np.empty((0, embedder.dim), dtype=np.float32)
        )
        keys = np.array(list(vectors), dtype=str)
        np.savez(tmp, keys=keys, vectors=stacked, probe=_probe(embedder))
        # Whole or not at all, also with other processes saving the same file.
        os.replace(tmp, path)
    except OSError:
        logger.warning("could not keep vectors in %s", path, exc_info=True)
        tmp.unlink(missing_ok=True)


def _key(kind: str, text: str) -> str:
    return hashlib.sha1(f"{kind}: {text}".encode()).hexdigest()


def embed_reusing(
    texts: list[str],
    kind: str,
    embedder: Embedder,
    previous: dict[str, np.ndarray],
    known: dict[str, np.ndarray],
) -> np.ndarray:
    """``texts`` embedded as ``kind`` ("passage" or "query") into ``known`` (by kind and
    hashed text), taking the vectors ``previous`` has and embedding only the rest."""
    keys = [_key(kind, text) for text in texts]
    for key in keys:
        if key in previous:
            known[key] = previous[key]
    missing = list(dict.fromkeys(t for t, key in zip(texts, keys, strict=True) if key not in known))
    if missing:
        encode = embedder.embed_passages if kind == "passage" else embedder.embed_stored_queries
        for text, vector in zip(missing, encode(missing), strict=True):
            known[_key(kind, text)] = vector
    if not texts:
        return np.empty((0, embedder.dim), dtype=np.float32)
    return np.vstack([known[key] for key in keys])


def embed_kept_queries(name: str, texts: list[str], embedder: Embedder) -> np.ndarray:
    """``embedder.embed_stored_queries(texts)``, from the vectors kept under ``name`` where
    they have them; the set embedded is kept for the next start when it changed."""
    path = vector_file(name, embedder)
    kept = load_vectors(path, embedder)
    known: dict[str, np.ndarray] = {}
    vectors = embed_reusing(texts, "query", embedder, kept, known)
    if known.keys() != kept.keys():
        save_vectors(path, known, embedder)
    return vectors
