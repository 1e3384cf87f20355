"""The knowledge base the bot answers from, and few-shot example turns per language."""

from __future__ import annotations

from django.db import models


class KnowledgeArticle(models.Model):
    slug = models.SlugField(max_length=80)
    topic = models.CharField(max_length=40, db_index=True)
    language = models.CharField(max_length=8, db_index=True)
    title = models.CharField(max_length=200)
    body = models.TextField()
    keywords = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["slug", "language"], name="article_slug_language")
        ]
        ordering = ["topic", "slug", "language"]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


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
