from django.contrib import admin

from supportbot.knowledge.models import ExampleTurn, KnowledgeArticle


@admin.register(KnowledgeArticle)
class KnowledgeArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "topic", "language", "updated_at")
    list_filter = ("topic", "language")
    search_fields = ("title", "body")


@admin.register(ExampleTurn)
class ExampleTurnAdmin(admin.ModelAdmin):
    list_display = ("language", "position", "customer")
    list_filter = ("language",)
