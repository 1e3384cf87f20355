"""The public page of one knowledge article: what the widget links to when it cites one."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from supportbot.knowledge.models import KnowledgeArticle

# Scripts written right to left, so the page sets dir="rtl" for them.
_RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ur"})


@require_GET
@cache_control(public=True, max_age=300)
def article(request: HttpRequest, slug: str, language: str) -> HttpResponse:
    """A published article, or 404; anyone may read it, and caches may keep it five minutes."""
    found = get_object_or_404(KnowledgeArticle, slug=slug, language=language, published=True)
    return render(
        request,
        "article.html",
        {
            "article": found,
            "direction": "rtl" if language.split("-")[0] in _RTL_LANGUAGES else "ltr",
            "versions": found.language_versions(),
        },
    )
