"""What every generation cost and how it ended: the facts behind cost and engine metrics.

One row per generation the engine ran (or was asked to run and failed): customer replies,
agents' drafts and translations, each tagged with its purpose and variant. The dashboard's
cost figures (DESIGN.md, "Cost") sum these rows; docs/architecture.md defines each field.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class GenerationRecord(models.Model):
    class Purpose(models.TextChoices):
        REPLY = "reply", "reply to a customer"
        DRAFT = "draft", "draft for an agent"
        TRANSLATION = "translation", "translation for an agent or a customer"

    purpose = models.CharField(max_length=16, choices=Purpose.choices)
    variant = models.CharField(max_length=64, db_index=True)
    worker = models.CharField(max_length=128, blank=True)
    conversation = models.ForeignKey(
        "chat.Conversation", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="generations",
    )  # fmt: skip
    # The customer message a reply answers (replies only).
    reply_to = models.ForeignKey(
        "chat.Message", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    prompt_tokens = models.PositiveIntegerField(default=0)
    completion_tokens = models.PositiveIntegerField(default=0)
    # Wall time the sequence held a slot in the engine's running batch (admitted -> done).
    engine_seconds = models.FloatField(default=0.0)
    # Waiting in front of the engine (submitted -> admitted), and to the first token.
    queue_seconds = models.FloatField(null=True, blank=True)
    ttft_seconds = models.FloatField(null=True, blank=True)
    # stop | length | abort | error | blocked (the output guard) | timeout
    finish_reason = models.CharField(max_length=16)
    # Why nothing usable came out, when so (e.g. "superseded", "empty", "timeout").
    failure = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["purpose", "created_at"])]

    def __str__(self) -> str:
        return f"{self.purpose} {self.variant} {self.finish_reason}"


class ReplyAttempt(models.Model):
    """How often workers started generating the answer to one customer message, and how
    often such a generation came to an end (stored, failed, aborted: anything but a crash).

    A generation that never ends took its worker process with it (SIGKILL, segfault, out
    of memory). Counted in the database, so every delivery of the job sees the count: the
    registry's restart, the broker's redelivery, a ``resume`` that queues it again.
    ``attempts.begin`` refuses a new start once ``SUPPORTBOT_MAX_REPLY_ATTEMPTS`` such
    generations never ended, all but the first of them blamed (run alone), and the job is
    given up (``given_up_at``).
    """

    reply_to = models.OneToOneField(
        "chat.Message", on_delete=models.CASCADE, related_name="reply_attempts"
    )
    started = models.PositiveIntegerField(default=0)
    ended = models.PositiveIntegerField(default=0)
    # Of those, the generations that ran alone in their process (a death there is theirs).
    blamed_started = models.PositiveIntegerField(default=0)
    blamed_ended = models.PositiveIntegerField(default=0)
    last_started_at = models.DateTimeField(null=True, blank=True)
    given_up_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"message {self.reply_to_id}: {self.started} started, {self.ended} ended"

    @property
    def blamed_deaths(self) -> int:
        """Generations that ran alone and never ended."""
        return self.blamed_started - self.blamed_ended

    @property
    def unfinished(self) -> int:
        """Generations started that never ended (lost with their worker, or still running)."""
        return self.started - self.ended
