from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "supportbot.chat"
    default_auto_field = "django.db.models.BigAutoField"
