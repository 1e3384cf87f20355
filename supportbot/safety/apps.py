from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "supportbot.safety"
    label = "safety"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A typo in the policy must stop the start, not the first customer's message.
        from django.core.exceptions import ImproperlyConfigured

        from supportbot.safety.screening import deployment_actions

        try:
            deployment_actions()
        except ValueError as exc:
            raise ImproperlyConfigured(f"SUPPORTBOT_SAFETY_ACTIONS: {exc}") from exc
