"""Conversations, their messages, and the event log that metrics are computed from."""

from __future__ import annotations

import hashlib
import hmac
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from supportbot.chat.signals import conversation_changed, message_stored
from supportbot.safety.redaction import hide_personal_data


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def client_key(address: str) -> str:
    """A keyed hash of the client's address (``chat.clients.client_address``): enough to
    tell conversations from one address apart, never the address itself."""
    key = f"supportbot.client-address:{settings.SECRET_KEY}".encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()


class Actor(models.TextChoices):
    CUSTOMER = "customer", "customer"
    BOT = "bot", "bot"
    AGENT = "agent", "agent"
    SYSTEM = "system", "system"


class Priority(models.IntegerChoices):
    URGENT = 1, "urgent"
    HIGH = 2, "high"
    NORMAL = 3, "normal"


class Reason:
    """Reason codes of escalations in the event log and the ``handoff`` frames."""

    CUSTOMER_REQUEST = "customer_request"
    CUSTOMER_BUTTON = "customer_button"
    SAFETY = "safety"
    OUTPUT_BLOCKED = "output_blocked"
    BOT_CANNOT_HELP = "bot_cannot_help"
    NO_PROGRESS = "no_progress"
    NEGATIVE_SENTIMENT = "negative_sentiment"


PRIORITY_BY_REASON = {
    Reason.SAFETY: Priority.URGENT,
    Reason.OUTPUT_BLOCKED: Priority.URGENT,
    Reason.NEGATIVE_SENTIMENT: Priority.HIGH,
}


class StaleState(Exception):
    """The conversation moved on since it was read (someone else changed its state)."""


class Conversation(models.Model):
    class State(models.TextChoices):
        BOT = "bot", "bot"
        WAITING_AGENT = "waiting_agent", "waiting for an agent"
        AGENT = "agent", "with an agent"
        RESOLVED = "resolved", "resolved"

    # Allowed moves (DESIGN.md, "Conversation states"); anything else is a bug.
    TRANSITIONS: dict[str, frozenset[str]] = {
        State.BOT: frozenset({State.WAITING_AGENT, State.RESOLVED}),
        State.WAITING_AGENT: frozenset({State.AGENT, State.BOT, State.RESOLVED}),
        State.AGENT: frozenset({State.BOT, State.RESOLVED, State.WAITING_AGENT}),
        State.RESOLVED: frozenset(),
    }

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    token_hash = models.CharField(max_length=64, editable=False)
    visitor_id = models.CharField(max_length=64, blank=True, db_index=True)
    # ``client_key`` of the address that opened it (limits per address, e.g. escalations).
    client_key = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    origin = models.CharField(max_length=255, blank=True)
    locale = models.CharField(max_length=16, blank=True)
    language = models.CharField(max_length=8, default="en", db_index=True)
    state = models.CharField(max_length=16, choices=State.choices, default=State.BOT)
    variant = models.ForeignKey(
        "experiments.ModelVariant", on_delete=models.PROTECT, null=True, blank=True
    )
    # The experiment arm that chose the variant; empty when no experiment counts this
    # conversation (none running, no visitor id, a stopped arm).
    arm = models.ForeignKey(
        "experiments.Arm", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # A conversation starts at the customer's first message (DESIGN.md, metrics).
    started_at = models.DateTimeField(null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # Escalation (the current cycle; every cycle is in the event log).
    priority = models.PositiveSmallIntegerField(
        choices=Priority.choices, default=Priority.NORMAL, db_index=True
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalation_reason = models.CharField(max_length=32, blank=True)
    assigned_agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_conversations",
    )
    first_response_at = models.DateTimeField(null=True, blank=True)
    # Left by the customer while no agent was online: {"name", "email", "phone"}.
    contact = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["state", "updated_at"])]

    def __str__(self) -> str:
        return str(self.public_id)

    def token_matches(self, token: str) -> bool:
        return hmac.compare_digest(self.token_hash, hash_token(token))

    @property
    def is_open(self) -> bool:
        return self.state != self.State.RESOLVED

    @property
    def bot_may_reply(self) -> bool:
        return self.state == self.State.BOT

    def next_seq(self) -> int:
        """Reserve the next sequence number. Call inside ``atomic()`` on a locked row."""
        self.last_seq += 1
        return self.last_seq

    def log(self, kind: str, *, actor: str, **fields) -> ConversationEvent:
        """Append one row to the conversation's event log (the one place events are written)."""
        return ConversationEvent.objects.create(conversation=self, kind=kind, actor=actor, **fields)

    def announce(self, kind: str, *, actor: str, **fields) -> ConversationEvent:
        """``log`` an event that changes the ticket, and tell whoever listens
        (``signals.conversation_changed``). Call inside the change's transaction."""
        event = self.log(kind, actor=actor, **fields)
        conversation_changed.send(sender=Conversation, conversation=self, event=event)
        return event

    def add_message(
        self,
        *,
        role: str,
        text: str,
        redacted_text: str | None = None,
        save_fields: tuple[str, ...] = (),
        **fields,
    ) -> Message:
        """Append a message with the next sequence number and announce it
        (``signals.message_stored``). ``save_fields``: fields of this row changed with it.
        ``redacted_text``: the copy with personal data hidden, when the caller has it (the
        input filter's, for customers); otherwise it is made here, whoever wrote the text.
        Call inside ``atomic()`` on a locked row."""
        if redacted_text is None:
            # Every region's phone formats, as for customers: agents quote numbers from
            # anywhere (the customer's, a courier's).
            redacted_text = hide_personal_data(text).stored
        message = Message.objects.create(
            conversation=self,
            seq=self.next_seq(),
            role=role,
            text=text,
            redacted_text=redacted_text,
            **fields,
        )
        self.save(update_fields=["last_seq", "updated_at", *save_fields])
        message_stored.send(sender=Message, conversation=self, message=message)
        return message

    def transition(
        self, to_state: str, *, actor: str, reason: str = "", user=None, data=None, **changes
    ) -> ConversationEvent:
        """Move to ``to_state``; every state change comes through here. ``changes`` are
        further fields saved with the move.

        The move is a conditional UPDATE on the state this instance holds, so two racing
        moves (two agents claiming one ticket) get one winner on every database; the loser
        gets ``StaleState`` and nothing changes. Call inside ``atomic()``.
        """
        from_state = self.state
        if to_state not in self.TRANSITIONS[from_state]:
            raise ValueError(
                f"conversation {self.public_id}: {from_state} -> {to_state} not allowed"
            )
        now = timezone.now()
        if to_state == self.State.RESOLVED:
            changes["resolved_at"] = now
        moved = Conversation.objects.filter(pk=self.pk, state=from_state).update(
            state=to_state, updated_at=now, **changes
        )
        if not moved:
            raise StaleState(f"conversation {self.public_id} is no longer {from_state}")
        self.state, self.updated_at = to_state, now
        for name, value in changes.items():
            setattr(self, name, value)
        return self.announce(
            ConversationEvent.Kind.STATE_CHANGED,
            from_state=from_state,
            to_state=to_state,
            actor=actor,
            user=user,
            reason=reason,
            data=data or {},
            created_at=now,
        )

    def escalate(
        self,
        *,
        reason: str,
        actor: str = Actor.SYSTEM,
        data: dict | None = None,
        priority: int | None = None,
    ) -> bool:
        """Move a bot conversation to the agents' queue (call on a locked row). The reason
        code, the priority (the reason's unless given) and the first-response clock are
        recorded with the move.

        Returns False, and changes nothing, when the bot does not have the conversation.
        """
        if self.state != self.State.BOT:
            return False
        self.transition(
            self.State.WAITING_AGENT,
            actor=actor,
            reason=reason,
            data=data,
            escalated_at=timezone.now(),
            escalation_reason=reason,
            priority=priority or PRIORITY_BY_REASON.get(reason, Priority.NORMAL),
            first_response_at=None,
            assigned_agent=None,
        )
        return True

    def raise_priority(self, priority: int, *, reason: str, data: dict | None = None) -> bool:
        """People have it, and it turned more urgent (e.g. distress while waiting). Call on a
        locked row; never lowers the priority. Returns whether it changed."""
        if self.state == self.State.RESOLVED or self.priority <= priority:
            return False
        self.priority = priority
        self.save(update_fields=["priority", "updated_at"])
        self.announce(
            ConversationEvent.Kind.PRIORITY_RAISED,
            actor=Actor.SYSTEM,
            reason=reason,
            data={"priority": priority, **(data or {})},
        )
        return True


class Message(models.Model):
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    seq = models.PositiveIntegerField()
    role = models.CharField(max_length=16, choices=Actor.choices)
    text = models.TextField()  # as written: the customer and the agents handling it see this
    # Personal data replaced by placeholders, for every author (customer, agent, bot): what
    # the model, drafts, translations, logs, analytics and exports see. Empty when nothing
    # was redacted.
    redacted_text = models.TextField(blank=True)
    safety_action = models.CharField(max_length=12, blank=True)  # the input filter's verdict
    client_id = models.UUIDField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    language_confidence = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    # Bot replies: what they answer, which model wrote them, and how long each part took.
    reply_to = models.ForeignKey(
        "self", on_delete=models.CASCADE, null=True, blank=True, related_name="replies"
    )
    variant = models.ForeignKey(
        "experiments.ModelVariant", on_delete=models.PROTECT, null=True, blank=True
    )
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    first_token_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    token_count = models.PositiveIntegerField(null=True, blank=True)
    finish_reason = models.CharField(max_length=16, blank=True)
    # An agent's message the engine translated into the customer's language.
    machine_translated = models.BooleanField(default=False)
    # Bot replies: the knowledge-base articles the reply drew on ({slug, language, title,
    # url}), shown to the customer as links; and what the groundedness and language checks
    # decided about it ({"supported", "unsupported", "language", "action"}).
    sources = models.JSONField(default=list, blank=True)
    grounding = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["conversation", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_seq_unique"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=models.Q(client_id__isnull=False),
                name="message_client_id_unique",
            ),
            # One bot reply per customer message, whoever stores it and however often.
            models.UniqueConstraint(
                fields=["reply_to"],
                condition=models.Q(role="bot"),
                name="one_bot_reply_per_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq} {self.role}"

    @property
    def model_text(self) -> str:
        """The text as the model, logs and analytics may see it."""
        return self.redacted_text or self.text


class ConversationEvent(models.Model):
    """Append-only log: every state change and every timing the metrics need."""

    class Kind(models.TextChoices):
        CREATED = "created", "created"
        STARTED = "started", "started (first customer message)"
        STATE_CHANGED = "state_changed", "state changed"
        BOT_REPLIED = "bot_replied", "bot replied"
        BOT_FAILED = "bot_failed", "bot reply failed"
        DISPATCH_FAILED = "dispatch_failed", "reply could not be queued"
        # Agent work: the first person's reply after an escalation, a transfer between
        # agents (state stays "agent"), and what the customer left or rated.
        FIRST_RESPONSE = "first_response", "first human response"
        TRANSFERRED = "transferred", "transferred to another agent"
        CONTACT_LEFT = "contact_left", "contact details left"
        CSAT_REQUESTED = "csat_requested", "CSAT asked"
        CSAT_RECORDED = "csat_recorded", "CSAT given"
        PRIORITY_RAISED = "priority_raised", "priority raised"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    from_state = models.CharField(max_length=16, blank=True)
    to_state = models.CharField(max_length=16, blank=True)
    actor = models.CharField(max_length=16, choices=Actor.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    reason = models.CharField(max_length=64, blank=True)
    message = models.ForeignKey(Message, on_delete=models.SET_NULL, null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["kind", "created_at"])]

    def __str__(self) -> str:
        return f"{self.conversation_id} {self.kind} {self.from_state}->{self.to_state}"


class CsatResponse(models.Model):
    """The customer's 1-5 rating after resolution: at most one per conversation."""

    class HandledBy(models.TextChoices):
        BOT = "bot", "bot only"
        HUMAN = "human", "human handled"

    conversation = models.OneToOneField(Conversation, on_delete=models.CASCADE, related_name="csat")
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)  # as written
    # The comment with personal data replaced by placeholders; empty when nothing was.
    redacted_comment = models.TextField(blank=True)
    handled_by = models.CharField(max_length=8, choices=HandledBy.choices)
    language = models.CharField(max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="csat_rating_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.rating}"

    @property
    def shared_comment(self) -> str:
        """The comment as analytics, dashboards and exports may see it."""
        return self.redacted_comment or self.comment
