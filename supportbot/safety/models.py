"""The safety log: every decision that was not a plain allow, for agents and the dashboard."""

from __future__ import annotations

from django.db import models

from supportbot.safety.verdict import Action, Verdict


class SafetyEvent(models.Model):
    class Direction(models.TextChoices):
        INPUT = "input", "customer message"
        OUTPUT = "output", "model reply"
        # Model text for people on the support team, checked before an agent sees it.
        DRAFT = "draft", "draft reply for an agent"
        TRANSLATION = "translation", "machine translation"

    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.CASCADE, related_name="safety_events"
    )
    message = models.ForeignKey(
        "chat.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    direction = models.CharField(max_length=12, choices=Direction.choices)
    action = models.CharField(max_length=12, choices=[(a.value, a.value) for a in Action])
    categories = models.JSONField(default=list)
    scores = models.JSONField(default=dict, blank=True)
    # The checked text with personal data redacted, cut short: enough to review the call,
    # never the customer's data itself.
    excerpt = models.CharField(max_length=500, blank=True)
    language = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["action", "created_at"])]

    def __str__(self) -> str:
        return f"{self.direction} {self.action} {','.join(self.categories)}"

    @classmethod
    def record(
        cls,
        verdict: Verdict,
        *,
        conversation_id: int,
        direction: str,
        message_id: int | None = None,
        language: str = "",
    ) -> SafetyEvent | None:
        """Log ``verdict`` unless it is a plain allow."""
        if verdict.action is Action.ALLOW:
            return None
        return cls.objects.create(
            conversation_id=conversation_id,
            message_id=message_id,
            direction=direction,
            action=str(verdict.action),
            categories=[str(c) for c in verdict.categories],
            scores={k: round(v, 4) for k, v in verdict.scores.items()},
            excerpt=(verdict.excerpt or verdict.redacted)[:500],
            language=language,
        )
