from django.contrib import admin

from supportbot.analytics.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued with ``manage.py create_api_token``; here they are seen and revoked."""

    list_display = ("name", "user", "created_at", "last_used_at")
    readonly_fields = ("user", "name", "token_hash", "created_at", "last_used_at")

    def has_add_permission(self, request) -> bool:
        return False
