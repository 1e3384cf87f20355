"""The knowledge base in Django's admin."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from supportbot.knowledge.models import KnowledgeArticle

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client():
    user = get_user_model().objects.create_superuser("lee", "lee@example.com", "unused")
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def versions():
    make = KnowledgeArticle.objects.create
    return (
        make(slug="returns", language="en", topic="returns", title="Returns", body="B"),
        make(slug="returns", language="de", topic="returns", title="<b>Rück</b>", body="B"),
    )


def test_the_changelist_loads_and_filters(superuser_client, versions):
    url = reverse("admin:knowledge_knowledgearticle_changelist")

    assert superuser_client.get(url).status_code == 200
    response = superuser_client.get(url, {"language": "de", "published__exact": "1", "q": "Rück"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1


def test_the_change_page_links_the_other_language_versions_escaped(superuser_client, versions):
    en, de = versions
    html = superuser_client.get(
        reverse("admin:knowledge_knowledgearticle_change", args=[en.pk])
    ).content.decode()

    link = reverse("admin:knowledge_knowledgearticle_change", args=[de.pk])
    assert f'<a href="{link}">de: &lt;b&gt;Rück&lt;/b&gt;</a>' in html


def test_the_admin_form_stores_bodies_as_the_importer_does(superuser_client):
    url = reverse("admin:knowledge_knowledgearticle_add")
    data = {
        "slug": "returns", "language": "en", "topic": "returns", "title": "Returns",
        "body": "  One\r\n\r\nTwo\r\n", "keywords": "[]", "tags": "[]", "url": "",
        "published": "on",
    }  # fmt: skip

    assert superuser_client.post(url, data).status_code == 302
    assert KnowledgeArticle.objects.get().body == "One\n\nTwo"
    bad = superuser_client.post(url, {**data, "language": "EN", "url": "javascript:alert(1)"})
    assert set(bad.context["adminform"].form.errors) == {"language", "url"}
