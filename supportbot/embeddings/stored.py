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

__all__ = ["embed_kept_queries", "load_vectors", "save_vectors", "vector_file"]

PROBE = "query: Where is my parcel? It was due on Monday."
PROBE_MIN_COSINE = 0.9999


def vector_file(name: str, embedder: Embedder) -> Path:
    """Where ``name``'s vectors from ``embedder`` are kept: ``SUPPORTBOT_VECTOR_DIR``, by
    default ``vectors/`` in ``SUPPORTBOT_CACHE_DIR``."""
    engine = re.sub(r"[^a-z0-9]+", "-", embedder.name.lower()).strip("-")
    configured = os.environ.get("SUPPORTBOT_VECTOR_DIR")
    folder = Path(configured).expanduser() if configured else model_cache_dir() / "vectors"
    return folder / f"{name}-{engine}.npz"


def _probe(embedder: Embedder) -> np.ndarray:
    return embedder.embed_stored_queries([PROBE])[0]


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


def embed_kept_queries(name: str, texts: list[str], embedder: Embedder) -> np.ndarray:
    """``embedder.embed_stored_queries(texts)``, from the vectors kept under ``name`` where
    they have them; what is embedded anew is kept for the next start."""
    path = vector_file(name, embedder)
    kept = load_vectors(path, embedder)
    keys = [hashlib.sha256(text.encode()).hexdigest() for text in texts]
    missing = [i for i, key in enumerate(keys) if key not in kept]
    if missing:
        vectors = embedder.embed_stored_queries([texts[i] for i in missing])
        kept.update((keys[i], vector) for i, vector in zip(missing, vectors, strict=True))
        save_vectors(path, {key: kept[key] for key in keys}, embedder)
    if not texts:
        return np.empty((0, embedder.dim), dtype=np.float32)
    return np.vstack([kept[key] for key in keys]).astype(np.float32, copy=False)
