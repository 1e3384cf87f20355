from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "supportbot.knowledge"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from supportbot.knowledge.models import KnowledgeArticle
        from supportbot.knowledge.search import invalidate

        def changed(sender, **kwargs) -> None:
            invalidate()  # every process re-indexes on its next search

        post_save.connect(changed, sender=KnowledgeArticle, dispatch_uid="knowledge.index")
        post_delete.connect(changed, sender=KnowledgeArticle, dispatch_uid="knowledge.index.del")
