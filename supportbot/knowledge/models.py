"""The knowledge base the bot answers from, and few-shot example turns per language."""

from __future__ import annotations

from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse


class KnowledgeArticle(models.Model):
    """One language version of a help article; the versions of one article share a ``slug``."""

    slug = models.SlugField(max_length=80)
    topic = models.CharField(max_length=40, db_index=True)
    language = models.CharField(max_length=8, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    keywords = models.JSONField(default=list, blank=True)
    # Questions customers ask that this version answers, in any language: retrieval matches a
    # customer's question against them as well as against the body (docs/knowledge-base.md).
    questions = models.JSONField(default=list, blank=True)
    # An external help-centre page; citations link there instead of our own page when set.
    # Only http(s): the widget puts it in a link, and a "javascript:" URL would run there.
    url = models.CharField(
        max_length=500, blank=True, validators=[URLValidator(schemes=["http", "https"])]
    )
    tags = models.JSONField(default=list, blank=True)
    published = models.BooleanField(default=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slug", "language"], name="article_slug_language")
        ]
        ordering = ["topic", "slug", "language"]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    def get_absolute_url(self) -> str:
        return reverse("kb-article", kwargs={"slug": self.slug, "language": self.language})

    @property
    def public_url(self) -> str:
        """Where a citation of this article links: the help centre's page, else ours."""
        return self.url or self.get_absolute_url()

    def language_versions(self) -> models.QuerySet[KnowledgeArticle]:
        """The other published language versions of this article."""
        return (
            KnowledgeArticle.objects.filter(slug=self.slug, published=True)
            .exclude(pk=self.pk)
            .order_by("language")
        )


class ExampleTurn(models.Model):
    """A short customer question and the answer we want, shown to base models as a pattern."""

    language = models.CharField(max_length=8, db_index=True)
    position = models.PositiveSmallIntegerField(default=0)
    customer = models.TextField()
    bot = models.TextField()

    class Meta:
        ordering = ["language", "position"]

    def __str__(self) -> str:
        return f"[{self.language}] {self.customer[:40]}"
