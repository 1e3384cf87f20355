"""The public article page the widget links to as a citation."""

from __future__ import annotations

import pytest
from django.test import Client

from supportbot.knowledge.models import KnowledgeArticle

pytestmark = pytest.mark.django_db


@pytest.fixture
def article():
    return KnowledgeArticle.objects.create(
        slug="returns", language="en", topic="returns", title="Returns <i>now</i>",
        body="Send it back.\n\n<script>alert(1)</script>\nwithin 30 days",
    )  # fmt: skip


def test_a_published_article_is_public_cacheable_and_escaped(article):
    KnowledgeArticle.objects.create(
        slug="returns", language="de", topic="returns", title="Rücksendungen", body="Zurück."
    )

    response = Client().get("/help/returns/en/")

    assert response.status_code == 200
    assert response["Cache-Control"] in ("public, max-age=300", "max-age=300, public")
    html = response.content.decode()
    assert "<script>alert" not in html and "<i>now</i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<br>within 30 days" in html
    assert "<p>Send it back.</p>" in html
    assert 'href="/help/returns/de/"' in html  # the other language version


def test_the_absolute_url_is_the_page_and_public_url_prefers_the_help_centre(article):
    assert article.get_absolute_url() == "/help/returns/en/"
    assert article.public_url == "/help/returns/en/"
    article.url = "https://help.example.com/returns"
    assert article.public_url == "https://help.example.com/returns"


def test_language_versions_are_the_other_published_ones(article):
    de = KnowledgeArticle.objects.create(
        slug="returns", language="de", topic="r", title="R", body="B"
    )
    KnowledgeArticle.objects.create(
        slug="returns", language="fr", topic="r", title="R", body="B", published=False
    )
    KnowledgeArticle.objects.create(slug="refunds", language="en", topic="r", title="R", body="B")

    assert list(article.language_versions()) == [de]


def test_an_unpublished_or_unknown_article_is_not_found(article):
    article.published = False
    article.save()

    assert Client().get("/help/returns/en/").status_code == 404
    assert Client().get("/help/returns/xx/").status_code == 404
    assert Client().get("/help/nothing/en/").status_code == 404


def test_the_page_answers_get_only(article):
    assert Client().post("/help/returns/en/").status_code == 405


def test_an_arabic_article_reads_right_to_left():
    KnowledgeArticle.objects.create(
        slug="returns", language="ar", topic="r", title="الإرجاع", body="نص"
    )

    html = Client().get("/help/returns/ar/").content.decode()

    assert '<html lang="ar" dir="rtl">' in html
