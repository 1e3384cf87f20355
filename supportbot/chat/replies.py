"""Storing the bot's replies, exactly once, and telling the customer after commit.

Whoever runs the engine (a Celery worker or the embedded runtime, ``supportbot.serving``)
calls these with the engine's final event; the frames that end a reply (``bot.done``,
``bot.retract``, a failure) are published here, on commit, and nowhere else.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from inference_worker.sequence import StreamEvent
from supportbot.chat import broadcast, frames
from supportbot.chat.models import Actor, Conversation, ConversationEvent, Message, Reason
from supportbot.safety.messages import message as safety_message
from supportbot.safety.models import SafetyEvent
from supportbot.safety.verdict import Category, Verdict

logger = logging.getLogger(__name__)


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
    prompt_tokens: int = 0
    engine_first_token_at: float | None = None  # before the output guard held it back

    @classmethod
    def from_stream(cls, event: StreamEvent, *, queued_at: float, worker: str) -> ReplyOutcome:
        """The outcome of an engine's final event; ``queued_at`` is when the web asked."""
        return cls(
            text=event.text,
            finish_reason=str(event.finish_reason or "error"),
            token_count=event.num_tokens,
            queued_at=queued_at,
            started_at=event.scheduled_at,
            # What the customer saw (after the output guard), when a relay delivered it.
            first_token_at=event.first_delivered_at or event.first_token_at,
            completed_at=event.finished_at,
            engine_submitted_at=event.submitted_at or None,
            worker=worker,
            prompt_tokens=event.prompt_tokens,
            engine_first_token_at=event.first_token_at,
        )

    @property
    def failure(self) -> str:
        """Why this generation yields no reply (abort, error, ...), or "" when it does."""
        if self.text and self.finish_reason not in ("abort", "error"):
            return ""
        return self.finish_reason or "empty"

    def event_data(self) -> dict:
        data: dict = {"finish_reason": self.finish_reason, "tokens": self.token_count}
        if self.worker:
            data["worker"] = self.worker
        engine_first = self.engine_first_token_at or self.first_token_at
        if self.engine_submitted_at and engine_first:
            # TTFT inside the engine, so stack overhead can be told apart from model time.
            data["engine_ttft_ms"] = round((engine_first - self.engine_submitted_at) * 1000, 2)
        return data


def _aware(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, tz=UTC)


def store_bot_reply(
    reply_to_id: int,
    outcome: ReplyOutcome,
    *,
    cannot_help: bool = False,
    sources: list[dict] | tuple[dict, ...] = (),
    grounding: dict | None = None,
) -> tuple[Message | None, bool]:
    """Store the bot's answer to one customer message, exactly once, and announce it.

    Returns (message, created). A second call for the same customer message returns the
    stored reply with ``created=False`` and announces it again (a redelivered job whose
    first announcement may have been lost). An empty, failed or aborted generation stores
    no message (the question stays unanswered and is asked again on resume) but is logged,
    and so is a reply that comes after people took the conversation over (``superseded``:
    the bot stays silent once escalated; what streamed is retracted). ``cannot_help``: the
    reply hands the conversation to people (``detectors.bot_handover``). ``sources``: the
    articles it cites; ``grounding``: what the quality checks decided.
    """
    customer_message = Message.objects.select_related("conversation").get(pk=reply_to_id)
    public_id = str(customer_message.conversation.public_id)
    seq = customer_message.seq
    existing = Message.objects.filter(reply_to_id=reply_to_id, role=Actor.BOT).first()
    if existing is not None:
        broadcast.to_customers_on_commit(public_id, frames.bot_done(existing, seq))
        return existing, False
    blocked = outcome.finish_reason == "blocked"
    try:
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(
                pk=customer_message.conversation_id
            )
            if outcome.failure or (not blocked and not conversation.bot_may_reply):
                reason = outcome.failure or "superseded"
                conversation.log(
                    ConversationEvent.Kind.BOT_FAILED,
                    actor=Actor.BOT,
                    reason=reason,
                    message=customer_message,
                    data=outcome.event_data(),
                )
                if reason == "superseded":
                    broadcast.to_customers_on_commit(public_id, frames.bot_retract(seq))
                elif reason != "abort":  # an abort means nobody is there to tell
                    broadcast.to_customers_on_commit(public_id, frames.bot_failed(seq))
                return None, False
            completed = _aware(outcome.completed_at) or timezone.now()
            reply = conversation.add_message(
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
                sources=list(sources),
                grounding=grounding or {},
            )
            conversation.log(
                ConversationEvent.Kind.BOT_REPLIED,
                actor=Actor.BOT,
                message=reply,
                created_at=completed,
                data=outcome.event_data(),
            )
            # Registered before any escalation below: the reply shows before the handoff.
            broadcast.to_customers_on_commit(public_id, frames.bot_done(reply, seq))
            if cannot_help:
                conversation.escalate(reason=Reason.BOT_CANNOT_HELP, data={"message": reply.seq})
            elif grounding and grounding.get("action") == "handover":
                conversation.escalate(
                    reason=Reason.BOT_CANNOT_HELP,
                    data={"message": reply.seq, "check": grounding.get("check", "")},
                )
    except IntegrityError:
        existing = Message.objects.get(reply_to_id=reply_to_id, role=Actor.BOT)
        return existing, False
    return reply, True


# ``bot_failed`` reason of a reply given up after its generations kept dying with their worker.
ATTEMPTS_EXHAUSTED = "attempts_exhausted"


def store_given_up(reply_to_id: int, *, attempts: int, record: bool = True) -> None:
    """The workers gave up answering one customer message (each of ``attempts`` generations
    died with its worker): log ``bot_failed`` when ``record`` (once per message; the caller
    decides), and tell the customer after commit: the failure, with the offer of a person
    the widget shows under a reply that has no answer (``offer_handoff``)."""
    customer_message = Message.objects.select_related("conversation").get(pk=reply_to_id)
    conversation = customer_message.conversation
    with transaction.atomic():
        if record:
            conversation.log(
                ConversationEvent.Kind.BOT_FAILED,
                actor=Actor.BOT,
                reason=ATTEMPTS_EXHAUSTED,
                message=customer_message,
                data={"attempts": attempts},
            )
        frame = frames.bot_failed(customer_message.seq, offer_handoff=True)
        broadcast.to_customers_on_commit(str(conversation.public_id), frame)


def store_blocked_reply(
    reply_to_id: int, outcome: ReplyOutcome, verdict: Verdict
) -> Message | None:
    """The output guard stopped the model: take back what streamed, store a safe reply in
    the customer's language in its place, log the decision and escalate, in one
    transaction."""
    customer_message = Message.objects.select_related("conversation").get(pk=reply_to_id)
    conversation = customer_message.conversation
    language = conversation.language
    # Distress met the filter only on the way out: still care, never a cold refusal.
    kind = "care" if verdict.primary is Category.SELF_HARM else "handover"
    safe = replace(outcome, text=safety_message(kind, language), finish_reason="blocked")
    with transaction.atomic():
        # The retract only makes sense with the safe reply right behind it.
        broadcast.to_customers_on_commit(
            str(conversation.public_id), frames.bot_retract(customer_message.seq)
        )
        reply, created = store_bot_reply(reply_to_id, safe)
        if not created:
            return reply
        SafetyEvent.record(
            verdict,
            conversation_id=conversation.pk,
            direction=SafetyEvent.Direction.OUTPUT,
            message_id=reply.pk if reply else None,
            language=language,
        )
        locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
        locked.escalate(
            reason=Reason.OUTPUT_BLOCKED,
            data={"message": reply_to_id, "categories": [str(c) for c in verdict.categories]},
        )
    return reply


def reply_exists(customer_message_id: int) -> bool:
    return Message.objects.filter(reply_to_id=customer_message_id, role=Actor.BOT).exists()


def store_replaced_reply(
    reply_to_id: int,
    outcome: ReplyOutcome,
    *,
    text: str,
    grounding: dict,
    sources: list[dict] | tuple[dict, ...] = (),
) -> Message | None:
    """A quality check stopped the model's reply: take back what streamed and store
    ``text`` in its place (the source's own words, or a hand-over when there is nothing
    right to show), with the check's decision (``grounding``)."""
    customer_message = Message.objects.select_related("conversation").get(pk=reply_to_id)
    replacement = replace(outcome, text=text, finish_reason=grounding["action"])
    with transaction.atomic():
        # The retract only makes sense with the replacement right behind it.
        broadcast.to_customers_on_commit(
            str(customer_message.conversation.public_id), frames.bot_retract(customer_message.seq)
        )
        reply, _created = store_bot_reply(
            reply_to_id, replacement, sources=sources, grounding=grounding
        )
    return reply
