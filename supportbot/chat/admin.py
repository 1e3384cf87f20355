from django.contrib import admin

from supportbot.chat.models import Conversation, ConversationEvent, CsatResponse, Message


class MessageInline(admin.TabularInline):
    model = Message
    fk_name = "conversation"
    extra = 0
    fields = ("seq", "role", "text", "language", "finish_reason", "created_at")
    readonly_fields = fields
    can_delete = False


@admin.register(Conversation)
class ConversationAdmin(admin.ModelAdmin):
    list_display = (
        "public_id",
        "state",
        "priority",
        "assigned_agent",
        "language",
        "variant",
        "started_at",
        "resolved_at",
    )
    list_filter = ("state", "priority", "escalation_reason", "language", "variant")
    search_fields = ("public_id", "visitor_id")
    readonly_fields = ("public_id", "created_at", "started_at", "resolved_at", "last_seq")
    inlines = [MessageInline]


@admin.register(ConversationEvent)
class ConversationEventAdmin(admin.ModelAdmin):
    list_display = (
        "conversation",
        "kind",
        "from_state",
        "to_state",
        "actor",
        "reason",
        "created_at",
    )
    list_filter = ("kind", "actor", "reason")


@admin.register(CsatResponse)
class CsatResponseAdmin(admin.ModelAdmin):
    list_display = ("conversation", "rating", "handled_by", "language", "created_at")
    list_filter = ("rating", "handled_by", "language")
    # Ratings are read as analytics: the comment with personal data hidden.
    fields = ("conversation", "rating", "comment_shown", "handled_by", "language", "created_at")
    readonly_fields = fields

    @admin.display(description="comment (personal data hidden)")
    def comment_shown(self, response: CsatResponse) -> str:
        return response.shared_comment
