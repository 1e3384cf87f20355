"""Retrieval as the chat runs it (``knowledge.search.retrieve``: the real encoder, the demo
knowledge base): the right topic first, in the customer's language where it exists."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from supportbot.knowledge.retrieval import features
from supportbot.knowledge.search import retrieve

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_kb(transactional_db):
    call_command("load_demo_kb", verbosity=0)


@pytest.mark.parametrize(
    ("question", "language", "slug"),
    [
        ("Wie lange dauert der Versand?", "de", "shipping-times"),
        ("How long does shipping take?", "en", "shipping-times"),
        ("Combien de temps prend la livraison ?", "fr", "shipping-times"),
        ("¿Cuánto tarda el envio?", "es", "shipping-times"),  # accent left out on purpose
        ("配送にはどのくらいかかりますか？", "ja", "shipping-times"),
        ("运费是多少？", "zh", "shipping-costs"),
        ("我想退货", "zh", "returns"),
        ("パスワードを忘れました", "ja", "password-reset"),
        ("Ich habe mein Passwort vergessen", "de", "password-reset"),
        ("Can I return a product?", "en", "returns"),
        ("When do I get my money back?", "en", "refunds"),
        ("Kann ich meine Bestellung stornieren?", "de", "order-changes"),
        ("Do you accept PayPal?", "en", "payment-methods"),
        ("배송비는 얼마인가요?", "ko", "shipping-costs"),
    ],
)
def test_the_topic_comes_first_in_the_customers_language(demo_kb, question, language, slug):
    found = retrieve(question, language)
    assert (found.hits[0].slug, found.hits[0].passage.language) == (slug, language)


def test_a_language_without_articles_gets_the_english_version(demo_kb):
    found = retrieve("How long does shipping take?", "sw")
    assert found.hits[0].slug == "shipping-times"
    assert all(hit.passage.language == "en" for hit in found.hits)


def test_english_question_in_a_german_conversation_gets_the_german_article(demo_kb):
    found = retrieve("How do I reset my password?", "de")
    assert (found.hits[0].slug, found.hits[0].passage.language) == ("password-reset", "de")


def test_a_greeting_brings_no_article(demo_kb):
    found = retrieve("hello", "en")
    assert found.hits == [] and not found.abstain


def test_cjk_text_becomes_character_bigrams():
    assert {"运费", "费是", "是多", "多少"} <= set(features("运费是多少？"))
    assert "配送" in features("配送には")
    assert "versand" in features("Versand!")


def test_an_articles_example_questions_bring_customers_to_it(demo_kb):
    """A question worded nothing like the article's text still finds it through the example
    questions an editor attached, and loses it when they are removed."""
    from supportbot.knowledge.models import KnowledgeArticle

    KnowledgeArticle.objects.create(
        slug="sizing", language="en", topic="products", title="Size guide",
        body="Our garments follow EU sizes. The size table is on every product page.",
        questions=["the jumper I want, will an M fit me if I'm 1.80?"],
    )  # fmt: skip
    question = "I'm 1,80 m, would a medium jumper fit me?"
    with_questions = retrieve(question, "en")
    assert with_questions.hits and with_questions.hits[0].slug == "sizing"

    KnowledgeArticle.objects.filter(slug="sizing").update(questions=[])
    from supportbot.knowledge.search import invalidate

    invalidate()
    without = retrieve(question, "en")
    sizing = [hit.score for hit in without.hits if hit.slug == "sizing"]
    assert not sizing or sizing[0] < with_questions.hits[0].score - 0.03
