"""Articles as Markdown files: kb_import / kb_export, their round trip, and the demo folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supportbot.knowledge.markdown_files import (
    export_folder,
    import_folder,
    read_article_file,
)
from supportbot.knowledge.models import ExampleTurn, KnowledgeArticle

DEMO_FOLDER = Path(__file__).resolve().parents[2] / "supportbot" / "knowledge" / "demo_kb"
DEMO_LANGUAGES = {
    "en", "de", "fr", "es", "pt", "it", "ja", "ko", "zh", "ar",
    "nl", "pl", "ru", "uk", "cs", "sv", "tr", "id", "vi",
}  # fmt: skip
ENGLISH_ONLY = {"warranty", "international-shipping", "loyalty-points"}
FIELDS = (
    "slug", "language", "topic", "title", "body", "url", "tags", "keywords", "questions",
    "published",
)  # fmt: skip

pytestmark = pytest.mark.django_db


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


ARTICLE = """---
slug: shipping-times
language: en
topic: shipping
title: Delivery times
url: ""
tags: [shipping, delivery]
keywords: [shipping, delivery, how long]
questions:
  - how long until my parcel arrives
  - "Express: how fast?"
published: true
---
Shipping takes 3-5 business days.

Express: 1-2 days.
"""


def rows() -> list[tuple]:
    return [
        tuple(getattr(a, f) for f in FIELDS)
        for a in KnowledgeArticle.objects.order_by("slug", "language")
    ]


@pytest.fixture
def articles():
    """A few articles with the awkward cases: non-ASCII, YAML-looking text, CRLF, unpublished."""
    KnowledgeArticle.objects.create(
        slug="returns", language="de", topic="returns", title="Rücksendungen: 30 Tage",
        body="Zeile eins\nZeile zwei\n\n- kein Front-Matter\n---\nnoch Text",
        keywords=["Rücksendung", "yes", "1"], tags=[], url="https://help.example.com/r?a=1",
        questions=["Kann ich: zurückschicken?", "# nein"],
    )  # fmt: skip
    KnowledgeArticle.objects.create(
        slug="returns", language="ar", topic="returns", title="الإرجاع", body="نص",
        keywords=[], tags=["returns"], published=False,
    )  # fmt: skip
    KnowledgeArticle.objects.create(
        slug="no", language="no", topic="true", title="yes", body="#1 <b>bold</b>",
        keywords=["null", "~"], tags=["a: b"],
    )  # fmt: skip


def test_a_file_reads_into_the_article_fields(tmp_path):
    path = write(tmp_path, "shipping-times.en.md", ARTICLE)
    assert read_article_file(path) == {
        "slug": "shipping-times",
        "language": "en",
        "topic": "shipping",
        "title": "Delivery times",
        "url": "",
        "tags": ["shipping", "delivery"],
        "keywords": ["shipping", "delivery", "how long"],
        "questions": ["how long until my parcel arrives", "Express: how fast?"],
        "published": True,
        "body": "Shipping takes 3-5 business days.\n\nExpress: 1-2 days.",
    }


def test_export_then_import_into_an_empty_database_gives_the_same_articles(tmp_path, articles):
    before = rows()
    assert export_folder(tmp_path) == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "no.no.md",
        "returns.ar.md",
        "returns.de.md",
    ]

    KnowledgeArticle.objects.all().delete()
    report = import_folder(tmp_path)

    assert (report.created, report.updated, report.unchanged) == (3, 0, 0)
    assert rows() == before


def test_importing_what_was_exported_changes_nothing(tmp_path, articles):
    stamps = dict(KnowledgeArticle.objects.values_list("pk", "updated_at"))
    export_folder(tmp_path)

    report = import_folder(tmp_path)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 3)
    assert dict(KnowledgeArticle.objects.values_list("pk", "updated_at")) == stamps


def test_a_second_import_finds_everything_unchanged(tmp_path):
    write(tmp_path, "shipping-times.en.md", ARTICLE)
    write(tmp_path, "shipping-times.de.md", ARTICLE.replace("language: en", "language: de"))

    first = import_folder(tmp_path)
    second = import_folder(tmp_path)

    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.created, second.updated, second.unchanged) == (0, 0, 2)


def test_an_edited_file_updates_its_article_and_import_never_deletes(tmp_path):
    KnowledgeArticle.objects.create(slug="other", language="en", topic="t", title="T", body="B")
    path = write(tmp_path, "shipping-times.en.md", ARTICLE)
    import_folder(tmp_path)
    path.write_text(ARTICLE.replace("published: true", "published: false"), encoding="utf-8")

    report = import_folder(tmp_path)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 0)
    assert not KnowledgeArticle.objects.get(slug="shipping-times").published
    assert KnowledgeArticle.objects.filter(slug="other").exists()


def test_kb_import_names_the_file_that_lacks_a_title(tmp_path):
    write(tmp_path, "good.en.md", ARTICLE.replace("shipping-times", "good"))
    write(tmp_path, "shipping-times.en.md", ARTICLE.replace("title: Delivery times\n", ""))

    with pytest.raises(CommandError, match=r"shipping-times\.en\.md: missing .*title"):
        call_command("kb_import", str(tmp_path), verbosity=0)
    assert not KnowledgeArticle.objects.exists()  # the good file was not imported either


def edited(*changes: tuple[str, str]) -> str:
    text = ARTICLE.replace("slug: shipping-times", "slug: x")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("x.en.md", "no front matter here", "no front matter"),
        (
            "x.en.md",
            edited(("Shipping takes 3-5 business days.\n\nExpress: 1-2 days.", "")),
            "body",
        ),
        ("x.en.md", edited(("topic: shipping", "topic: shipping\npublised: false")), "publised"),
        ("x.no.md", edited(("language: en", "language: no")), "language must be text"),
        ("x.en.md", edited(('url: ""', "url: javascript:alert(1)")), "http"),
        ("x.en.md", edited(("tags: [shipping, delivery]", "tags: shipping")), "must be a list"),
        ("x.en.md", edited(("published: true", "published: maybe")), "true or false"),
        ("x.de.md", edited(), "must be named x.en.md"),
        ("x.en.md", edited(("title: Delivery times", "title: [unclosed")), "invalid front matter"),
    ],
)
def test_kb_import_explains_what_is_wrong_with_a_file(tmp_path, name, text, problem):
    write(tmp_path, name, text)
    with pytest.raises(CommandError) as raised:
        call_command("kb_import", str(tmp_path), verbosity=0)
    assert name in str(raised.value)
    assert problem in str(raised.value)


def test_kb_import_refuses_a_missing_or_empty_directory(tmp_path):
    with pytest.raises(CommandError, match="not a directory"):
        call_command("kb_import", str(tmp_path / "missing"), verbosity=0)
    with pytest.raises(CommandError, match=r"no \*\.md files"):
        call_command("kb_import", str(tmp_path), verbosity=0)


def test_kb_export_and_kb_import_commands_report_counts(tmp_path, articles, capsys):
    call_command("kb_export", str(tmp_path / "kb"))
    call_command("kb_import", str(tmp_path / "kb"))
    out = capsys.readouterr().out
    assert "3 articles written" in out
    assert "3 files: 0 created, 0 updated, 3 unchanged" in out


def test_the_demo_folder_holds_every_topic_in_19_languages_and_three_english_only():
    report = import_folder(DEMO_FOLDER)

    articles = list(KnowledgeArticle.objects.all())
    # 12 articles in each of 19 languages, plus the three English-only ones.
    assert report.created == len(articles) == 12 * 19 + 3
    by_slug: dict[str, set[str]] = {}
    for article in articles:
        by_slug.setdefault(article.slug, set()).add(article.language)
    assert {slug for slug, langs in by_slug.items() if langs == {"en"}} == ENGLISH_ONLY
    assert all(
        langs == DEMO_LANGUAGES for slug, langs in by_slug.items() if slug not in ENGLISH_ONLY
    )
    warranty = KnowledgeArticle.objects.get(slug="warranty")
    assert (warranty.topic, warranty.title) == ("returns", "Warranty")
    assert "2-year warranty" in warranty.body


def test_load_demo_kb_loads_articles_and_examples_and_is_idempotent():
    call_command("load_demo_kb", verbosity=0)
    first = rows(), ExampleTurn.objects.count()
    call_command("load_demo_kb", verbosity=0)

    assert (rows(), ExampleTurn.objects.count()) == first
    assert len(first[0]) == 12 * 19 + 3
    assert set(ExampleTurn.objects.values_list("language", flat=True)) == DEMO_LANGUAGES
