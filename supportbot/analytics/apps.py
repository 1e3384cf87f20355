from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "supportbot.analytics"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from supportbot.analytics import receivers

        receivers.connect()
