"""What the dashboard reads: one fact row per conversation, per bot reply and per escalation
cycle, kept current in the transaction of every change (``receivers``), and daily rollups.

Every column is derived from the source rows (events, messages, ratings, generations, safety
decisions) by ``facts.rebuild``; docs/metrics.md defines each. The page reads these tables
only, never messages.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone


class Segment(models.TextChoices):
    """Who handled a conversation, for CSAT and handling time."""

    BOT_ONLY = "bot_only", "bot only"
    ESCALATED_UNCLAIMED = "escalated_unclaimed", "escalated, never claimed"
    HUMAN = "human", "a person took it"


class ConversationFact(models.Model):
    conversation = models.OneToOneField(
        "chat.Conversation", on_delete=models.CASCADE, primary_key=True, related_name="fact"
    )
    public_id = models.UUIDField(unique=True)
    started_at = models.DateTimeField(null=True, db_index=True)
    # started_at's date in the rollups' time zone (settings.SUPPORTBOT["DASHBOARD_TZ"]).
    day = models.DateField(null=True)
    language = models.CharField(max_length=8)
    variant = models.CharField(max_length=64, blank=True)
    arm = models.CharField(max_length=64, blank=True)
    state = models.CharField(max_length=16)
    segment = models.CharField(max_length=20, choices=Segment.choices)
    customer_messages = models.PositiveIntegerField(default=0)
    bot_replies = models.PositiveIntegerField(default=0)
    # Escalation: cycles (bot -> people), the first cycle's reason, and whether it came
    # before the bot said anything.
    escalations = models.PositiveSmallIntegerField(default=0)
    escalation_reason = models.CharField(max_length=32, blank=True)
    escalated_before_bot_reply = models.BooleanField(default=False)
    # Resolution; ended_at is where handling time ends (the last message for an idle close).
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolve_reason = models.CharField(max_length=32, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    handling_s = models.FloatField(null=True, blank=True)
    agent_handling_s = models.FloatField(null=True, blank=True)
    # The agent who had it last (the per-agent table counts cycles, see EscalationFact).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    csat_requested = models.BooleanField(default=False)
    csat_rating = models.PositiveSmallIntegerField(null=True, blank=True)
    csat_at = models.DateTimeField(null=True, blank=True)
    # Safety decisions on what the customer sent and what the model wrote.
    safety_blocks = models.PositiveIntegerField(default=0)
    safety_escalations = models.PositiveIntegerField(default=0)
    # Tokens by purpose, and the engine time all of them took.
    reply_prompt_tokens = models.PositiveIntegerField(default=0)
    reply_completion_tokens = models.PositiveIntegerField(default=0)
    draft_prompt_tokens = models.PositiveIntegerField(default=0)
    draft_completion_tokens = models.PositiveIntegerField(default=0)
    translation_prompt_tokens = models.PositiveIntegerField(default=0)
    translation_completion_tokens = models.PositiveIntegerField(default=0)
    engine_seconds = models.FloatField(default=0.0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["language", "started_at"], name="fact_language_started"),
            models.Index(fields=["variant", "started_at"], name="fact_variant_started"),
            models.Index(fields=["arm", "started_at"], name="fact_arm_started"),
        ]

    def __str__(self) -> str:
        return f"fact {self.public_id}"


class ReplyFact(models.Model):
    """One bot reply's timings, from the customer message it answers."""

    message = models.OneToOneField(
        "chat.Message", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    conversation = models.ForeignKey(
        ConversationFact, on_delete=models.CASCADE, related_name="replies"
    )
    # The conversation's, copied so the window and filters need no join.
    started_at = models.DateTimeField(null=True, db_index=True)
    language = models.CharField(max_length=8)
    variant = models.CharField(max_length=64, blank=True)
    arm = models.CharField(max_length=64, blank=True)
    finish_reason = models.CharField(max_length=16)
    normal = models.BooleanField()  # finished as the model wrote it ("stop" or "length")
    first_token_ms = models.FloatField(null=True)
    complete_ms = models.FloatField(null=True)

    def __str__(self) -> str:
        return f"reply {self.message_id}"


class EscalationFact(models.Model):
    """One escalation cycle: from the hand-over until the bot has it back or it is resolved."""

    conversation = models.ForeignKey(
        ConversationFact, on_delete=models.CASCADE, related_name="cycles"
    )
    cycle = models.PositiveSmallIntegerField()  # 1, 2, ...
    started_at = models.DateTimeField(null=True, db_index=True)
    language = models.CharField(max_length=8)
    variant = models.CharField(max_length=64, blank=True)
    arm = models.CharField(max_length=64, blank=True)
    escalated_at = models.DateTimeField()
    reason = models.CharField(max_length=32)
    agents_online = models.BooleanField(null=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    wait_s = models.FloatField(null=True, blank=True)  # escalated -> first claim
    first_response_s = models.FloatField(null=True, blank=True)  # escalated -> agent message
    agent_s = models.FloatField(default=0.0)  # time in the agent state, ended stretches
    # The agent holding it when the cycle ended (or now, while it runs).
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )  # fmt: skip
    transfers = models.PositiveSmallIntegerField(default=0)
    # open | handed_back | agent_resolved | closed_unclaimed | customer_left | idle_timeout
    outcome = models.CharField(max_length=20)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["conversation", "cycle"], name="one_fact_per_cycle")
        ]

    def __str__(self) -> str:
        return f"cycle {self.cycle} of {self.conversation_id}"


ROLLUP_COUNTERS = (
    "conversations", "escalated", "escalated_before_bot_reply", "resolved", "contained",
    "open", "csat_requested", "csat_responses", "csat_sum", "csat_top2", "customer_messages",
    "safety_decisions", "prompt_tokens", "completion_tokens", "engine_seconds",
)  # fmt: skip


class DailyRollup(models.Model):
    """Counts per day (in the rollup time zone), language, variant and arm: the charts."""

    day = models.DateField()
    language = models.CharField(max_length=8)
    variant = models.CharField(max_length=64, blank=True)
    arm = models.CharField(max_length=64, blank=True)
    conversations = models.IntegerField(default=0)
    escalated = models.IntegerField(default=0)
    escalated_before_bot_reply = models.IntegerField(default=0)
    resolved = models.IntegerField(default=0)
    contained = models.IntegerField(default=0)
    open = models.IntegerField(default=0)
    csat_requested = models.IntegerField(default=0)
    csat_responses = models.IntegerField(default=0)
    csat_sum = models.IntegerField(default=0)
    csat_top2 = models.IntegerField(default=0)
    customer_messages = models.IntegerField(default=0)
    safety_decisions = models.IntegerField(default=0)
    prompt_tokens = models.BigIntegerField(default=0)
    completion_tokens = models.BigIntegerField(default=0)
    engine_seconds = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "language", "variant", "arm"], name="one_rollup_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.language} {self.variant} {self.arm}"


def hash_api_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the dashboard's JSON and CSV (``manage.py create_api_token``); only
    its hash is stored."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    name = models.CharField(max_length=64, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token {self.name or self.pk} of {self.user_id}"

    @classmethod
    def issue(cls, user, name: str = "") -> tuple[ApiToken, str]:
        """A new token; the plain text is returned once and never stored."""
        plain = "sbk_" + secrets.token_urlsafe(32)
        return cls.objects.create(user=user, name=name, token_hash=hash_api_token(plain)), plain
