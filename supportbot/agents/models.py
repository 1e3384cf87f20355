"""What only people on the support team see: internal notes, canned answers, who is online."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


class InternalNote(models.Model):
    """A note agents leave on a conversation; never sent to the customer."""

    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.CASCADE, related_name="notes"
    )
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True)
    text = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"note on {self.conversation_id} by {self.author_id}"


class CannedResponse(models.Model):
    """A prepared answer agents insert and edit, kept per language."""

    language = models.CharField(max_length=8, db_index=True)
    title = models.CharField(max_length=80)
    text = models.TextField()

    class Meta:
        ordering = ["language", "title"]
        constraints = [
            models.UniqueConstraint(fields=["language", "title"], name="canned_title_per_language")
        ]

    def __str__(self) -> str:
        return f"[{self.language}] {self.title}"


class AgentPresence(models.Model):
    """One open console socket. Rows of a crashed process expire by ``last_seen``."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    channel_name = models.CharField(max_length=200, unique=True)
    last_seen = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.user_id} at {self.channel_name}"

    @classmethod
    def online(cls) -> models.QuerySet[AgentPresence]:
        ttl = settings.SUPPORTBOT["AGENT_PRESENCE_TTL_S"]
        return cls.objects.filter(last_seen__gte=timezone.now() - timedelta(seconds=ttl))


class MessageTranslation(models.Model):
    """A machine translation of a message into one language, made once and reused.

    For an agent's message sent translated, the agent's own words are kept here in the
    agent's language (``source=True``) while the message holds what the customer read.
    """

    message = models.ForeignKey(
        "chat.Message", on_delete=models.CASCADE, related_name="translations"
    )
    language = models.CharField(max_length=8)
    text = models.TextField()
    source = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "language"], name="one_translation_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.message_id} -> {self.language}"
