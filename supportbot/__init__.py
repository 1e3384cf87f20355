"""supportbot: a self-hosted, multilingual AI customer-support chat."""

# Importing the Celery app here makes `@shared_task` bind to it in every process.
from supportbot.celery import app as celery_app

__all__ = ("celery_app",)
