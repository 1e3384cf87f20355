from django.contrib import admin

from supportbot.agents.models import CannedResponse, InternalNote


@admin.register(CannedResponse)
class CannedResponseAdmin(admin.ModelAdmin):
    list_display = ("language", "title")
    list_filter = ("language",)
    search_fields = ("title", "text")


@admin.register(InternalNote)
class InternalNoteAdmin(admin.ModelAdmin):
    list_display = ("conversation", "author", "created_at")
    readonly_fields = ("conversation", "author", "text", "created_at")
