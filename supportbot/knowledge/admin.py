from __future__ import annotations

from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from supportbot.knowledge.markdown_files import LANGUAGE_RE, normalize_body
from supportbot.knowledge.models import ExampleTurn, KnowledgeArticle


class KnowledgeArticleForm(forms.ModelForm):
    class Meta:
        model = KnowledgeArticle
        fields = (
            "slug", "language", "topic", "title", "body", "keywords", "questions", "tags", "url",
            "published",
        )  # fmt: skip

    def clean_language(self) -> str:
        language = self.cleaned_data["language"]
        if not LANGUAGE_RE.fullmatch(language):
            raise forms.ValidationError("A lower-case code such as en or pt-br.")
        return language

    def clean_body(self) -> str:
        # Browsers send textareas with CRLF; store what kb_import would, so exports round-trip.
        return normalize_body(self.cleaned_data["body"])


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    form = KnowledgeArticleForm
    list_display = ("title", "slug", "language", "topic", "published", "updated_at")
    list_filter = ("language", "topic", "published")
    list_editable = ("published",)
    search_fields = ("title", "body", "slug")
    readonly_fields = ("other_language_versions", "updated_at")

    @admin.display(description="Other language versions")
    def other_language_versions(self, obj: KnowledgeArticle) -> str:
        if obj.pk is None:
            return "-"
        # Editors need the unpublished versions too, so not obj.language_versions().
        others = KnowledgeArticle.objects.filter(slug=obj.slug).exclude(pk=obj.pk)
        rows = [
            (
                reverse("admin:knowledge_knowledgearticle_change", args=[other.pk]),
                other.language,
                other.title,
                "" if other.published else " (unpublished)",
            )
            for other in others.order_by("language")
        ]
        if not rows:
            return "-"
        items = format_html_join("", '<li><a href="{}">{}: {}</a>{}</li>', rows)
        return format_html("<ul>{}</ul>", items)


@admin.register(ExampleTurn)
class ExampleTurnAdmin(admin.ModelAdmin):
    list_display = ("language", "position", "customer")
    list_filter = ("language",)
