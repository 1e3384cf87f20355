"""What happens to a conversation: each function is one transaction, named for what it does.

Consumers and views call these; they never touch the models' tables themselves. Anything a
client is told about is committed first.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from inference_worker.sequence import StreamEvent
from supportbot.chat.bot_handover import bot_cannot_help
from supportbot.chat.escalation import Reason, mark_escalated, raise_priority
from supportbot.chat.language import detect_language, normalize_locale
from supportbot.chat.models import (
    Actor,
    Conversation,
    ConversationEvent,
    Message,
    Priority,
    hash_token,
)
from supportbot.experiments.models import ModelVariant
from supportbot.safety.messages import message as safety_message
from supportbot.safety.models import SafetyEvent
from supportbot.safety.verdict import Action, Category, Verdict

logger = logging.getLogger(__name__)

# Below this, a detection does not move the conversation's language.
LANGUAGE_SWITCH_CONFIDENCE = 0.6


class ConversationClosed(Exception):
    """The conversation is resolved and takes no more customer messages."""


@dataclass(slots=True)
class CustomerMessageResult:
    message: Message
    created: bool
    needs_reply: bool
    # The safety filter answered instead of the model (a refusal, or care and a handoff).
    safety_reply: Message | None = None
    escalated: bool = False


def create_conversation(
    *, locale: str | None, visitor_id: str, origin: str = ""
) -> tuple[Conversation, str]:
    """Open a conversation; return it and its secret token (only the hash is stored)."""
    token = secrets.token_urlsafe(16)  # 128 bits
    language = normalize_locale(locale) or "en"
    with transaction.atomic():
        conversation = Conversation.objects.create(
            token_hash=hash_token(token),
            visitor_id=visitor_id[:64],
            origin=origin[:255],
            locale=(locale or "")[:16],
            language=language,
            variant=ModelVariant.get_default(),
        )
        ConversationEvent.objects.create(
            conversation=conversation,
            kind=ConversationEvent.Kind.CREATED,
            to_state=conversation.state,
            actor=Actor.CUSTOMER,
        )
    return conversation, token


def authenticate_conversation(public_id: str, token: str | None) -> Conversation | None:
    """The conversation the token grants, or None for any mismatch (no detail leaks)."""
    if not token:
        return None
    try:
        conversation = Conversation.objects.get(public_id=uuid.UUID(str(public_id)))
    except (ValueError, Conversation.DoesNotExist):
        return None
    return conversation if conversation.token_matches(token) else None


def record_customer_message(
    conversation_id: int, *, client_id: uuid.UUID, text: str, verdict: Verdict | None = None
) -> CustomerMessageResult:
    """Store a customer message once per ``client_id`` and decide whether the bot answers.

    A resend of a stored ``client_id`` returns the stored row (``created=False``), so the
    caller acknowledges it again without storing or answering twice. Raises
    ``ConversationClosed`` for a resolved conversation.
    """
    existing = Message.objects.filter(conversation_id=conversation_id, client_id=client_id).first()
    if existing is not None:
        return CustomerMessageResult(existing, created=False, needs_reply=False)
    try:
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
            # Checked on the locked row, so a resolve cannot slip in between check and insert.
            if not conversation.is_open:
                raise ConversationClosed(str(conversation.public_id))
            history = list(
                conversation.messages.filter(role=Actor.CUSTOMER)
                .exclude(language="")
                .order_by("-seq")
                .values_list("language", flat=True)[:5]
            )[::-1]
            guess = detect_language(text, locale=conversation.locale, history=history)
            now = timezone.now()
            message = Message.objects.create(
                conversation=conversation,
                seq=conversation.next_seq(),
                role=Actor.CUSTOMER,
                text=text,
                redacted_text=verdict.redacted if verdict and verdict.redacted != text else "",
                safety_action=str(verdict.action) if verdict else "",
                client_id=client_id,
                language=guess.code,
                language_confidence=guess.confidence,
                created_at=now,
            )
            fields = ["last_seq", "updated_at"]
            if conversation.started_at is None:
                conversation.started_at = now
                fields.append("started_at")
                ConversationEvent.objects.create(
                    conversation=conversation,
                    kind=ConversationEvent.Kind.STARTED,
                    to_state=conversation.state,
                    actor=Actor.CUSTOMER,
                    message=message,
                    created_at=now,
                )
            if (
                guess.confidence >= LANGUAGE_SWITCH_CONFIDENCE
                and guess.code != conversation.language
            ):
                conversation.language = guess.code
                fields.append("language")
            conversation.save(update_fields=fields)
            safety_reply = None
            if verdict is not None and not verdict.is_allow:
                SafetyEvent.record(
                    verdict,
                    conversation_id=conversation.pk,
                    direction=SafetyEvent.Direction.INPUT,
                    message_id=message.pk,
                    language=conversation.language,
                )
                safety_reply = _answer_for_safety(conversation, message, verdict)
    except IntegrityError:
        # Two sockets raced with the same client_id; the other one stored it.
        message = Message.objects.get(conversation_id=conversation_id, client_id=client_id)
        return CustomerMessageResult(message, created=False, needs_reply=False)
    if safety_reply is not None:
        escalated = verdict.action is Action.ESCALATE
        return CustomerMessageResult(message, True, False, safety_reply, escalated)
    return CustomerMessageResult(message, created=True, needs_reply=conversation.bot_may_reply)


def _answer_for_safety(
    conversation: Conversation, message: Message, verdict: Verdict
) -> Message | None:
    """A refused or alarming message gets a fixed reply, not the model's; self-harm and
    threats also bring in a person. Redacted messages go on to the model as usual."""
    if verdict.action not in (Action.BLOCK, Action.ESCALATE):
        return None
    escalate = verdict.action is Action.ESCALATE
    care = escalate and Category.SELF_HARM in verdict.categories
    # A person in the chat sees the flag and answers; until one joins, distress still
    # gets the caring message.
    waiting_with_distress = care and conversation.state == Conversation.State.WAITING_AGENT
    if not conversation.bot_may_reply and not waiting_with_distress:
        return None
    kind = "care" if care else "handover" if escalate else "input_blocked"
    reply = Message.objects.create(
        conversation=conversation,
        seq=conversation.next_seq(),
        role=Actor.BOT,
        text=safety_message(kind, conversation.language),
        language=conversation.language,
        reply_to=message,
        finish_reason="safety",
    )
    conversation.save(update_fields=["last_seq", "updated_at"])
    if escalate:
        data = {"categories": [str(c) for c in verdict.categories]}
        if not mark_escalated(conversation, reason=Reason.SAFETY, data=data):
            raise_priority(conversation, Priority.URGENT, reason=Reason.SAFETY, data=data)
    return reply


@dataclass(slots=True)
class ReplyOutcome:
    text: str
    finish_reason: str
    token_count: int
    queued_at: float
    started_at: float | None
    first_token_at: float | None
    completed_at: float | None
    engine_submitted_at: float | None = None
    worker: str = ""

    @classmethod
    def from_stream(cls, event: StreamEvent, *, queued_at: float, worker: str) -> ReplyOutcome:
        """The outcome of an engine's final event; ``queued_at`` is when the web asked."""
        return cls(
            text=event.text,
            finish_reason=str(event.finish_reason or "error"),
            token_count=event.num_tokens,
            queued_at=queued_at,
            started_at=event.scheduled_at,
            first_token_at=event.first_token_at,
            completed_at=event.finished_at,
            engine_submitted_at=event.submitted_at or None,
            worker=worker,
        )

    def event_data(self) -> dict:
        data: dict = {"finish_reason": self.finish_reason, "tokens": self.token_count}
        if self.worker:
            data["worker"] = self.worker
        if self.engine_submitted_at and self.first_token_at:
            # TTFT inside the engine, so stack overhead can be told apart from model time.
            data["engine_ttft_ms"] = round(
                (self.first_token_at - self.engine_submitted_at) * 1000, 2
            )
        return data


def _aware(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC)


def store_bot_reply(
    reply_to_id: int, outcome: ReplyOutcome, *, cannot_help: bool | None = None
) -> tuple[Message | None, bool]:
    """Store the bot's answer to one customer message, exactly once.

    Returns (message, created). A second call for the same customer message returns the
    stored reply with ``created=False``. An empty, failed or aborted generation stores no
    message (the question stays unanswered and is asked again on resume) but is logged, and
    so is a reply that comes after people took the conversation over (``superseded``: the
    bot stays silent once escalated). ``cannot_help`` is the reply's handover signal when the
    caller computed it already (``bot_handover.bot_cannot_help``).
    """
    existing = Message.objects.filter(reply_to_id=reply_to_id, role=Actor.BOT).first()
    if existing is not None:
        return existing, False
    customer_message = Message.objects.select_related("conversation").get(pk=reply_to_id)
    if not outcome.text or outcome.finish_reason in ("abort", "error"):
        ConversationEvent.objects.create(
            conversation=customer_message.conversation,
            kind=ConversationEvent.Kind.BOT_FAILED,
            actor=Actor.BOT,
            reason=outcome.finish_reason or "empty",
            message=customer_message,
            data=outcome.event_data(),
        )
        return None, False
    # Outside the transaction: an embedding call has no business holding the row lock. The
    # safety filter's own replacement text escalates with its own reason.
    blocked = outcome.finish_reason == "blocked"
    if cannot_help is None:
        cannot_help = not blocked and bot_cannot_help(outcome.text)
    try:
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(
                pk=customer_message.conversation_id
            )
            if not blocked and not conversation.bot_may_reply:
                ConversationEvent.objects.create(
                    conversation=conversation,
                    kind=ConversationEvent.Kind.BOT_FAILED,
                    actor=Actor.BOT,
                    reason="superseded",
                    message=customer_message,
                    data=outcome.event_data(),
                )
                return None, False
            completed = _aware(outcome.completed_at) or timezone.now()
            reply = Message.objects.create(
                conversation=conversation,
                seq=conversation.next_seq(),
                role=Actor.BOT,
                text=outcome.text,
                language=conversation.language,
                reply_to=customer_message,
                variant=conversation.variant,
                created_at=completed,
                queued_at=_aware(outcome.queued_at),
                started_at=_aware(outcome.started_at),
                first_token_at=_aware(outcome.first_token_at),
                completed_at=completed,
                token_count=outcome.token_count,
                finish_reason=outcome.finish_reason,
            )
            conversation.save(update_fields=["last_seq", "updated_at"])
            ConversationEvent.objects.create(
                conversation=conversation,
                kind=ConversationEvent.Kind.BOT_REPLIED,
                actor=Actor.BOT,
                message=reply,
                created_at=completed,
                data=outcome.event_data(),
            )
            if cannot_help:
                mark_escalated(
                    conversation, reason=Reason.BOT_CANNOT_HELP, data={"message": reply.seq}
                )
    except IntegrityError:
        return Message.objects.get(reply_to_id=reply_to_id, role=Actor.BOT), False
    return reply, True


def bot_superseded(customer_message_id: int) -> bool:
    """Has the conversation of this customer message left the bot (people have it)?"""
    message = Message.objects.select_related("conversation").get(pk=customer_message_id)
    return not message.conversation.bot_may_reply


def reply_exists(customer_message_id: int) -> bool:
    return Message.objects.filter(reply_to_id=customer_message_id, role=Actor.BOT).exists()


def record_dispatch_failure(message_id: int, reason: str) -> None:
    message = Message.objects.get(pk=message_id)
    ConversationEvent.objects.create(
        conversation_id=message.conversation_id,
        kind=ConversationEvent.Kind.DISPATCH_FAILED,
        actor=Actor.SYSTEM,
        reason=reason,
        message=message,
    )


def messages_after(conversation_id: int, after_seq: int) -> list[Message]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, seq__gt=after_seq)
        .select_related("reply_to", "author")
        .order_by("seq")
    )


def unanswered_customer_message(conversation_id: int) -> Message | None:
    """The newest customer message if the bot owes it a reply (e.g. after a restart)."""
    conversation = Conversation.objects.get(pk=conversation_id)
    if not conversation.bot_may_reply:
        return None
    last = (
        Message.objects.filter(conversation_id=conversation_id)
        .exclude(role=Actor.SYSTEM)
        .order_by("-seq")
        .first()
    )
    if last is None or last.role != Actor.CUSTOMER:
        return None
    return last
