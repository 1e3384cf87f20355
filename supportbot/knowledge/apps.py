from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "supportbot.knowledge"
    default_auto_field = "django.db.models.BigAutoField"
