from django.contrib import admin

from supportbot.safety.models import SafetyEvent


@admin.register(SafetyEvent)
class SafetyEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "direction", "action", "categories", "language", "conversation")
    list_filter = ("direction", "action", "language")
    readonly_fields = [f.name for f in SafetyEvent._meta.fields]
