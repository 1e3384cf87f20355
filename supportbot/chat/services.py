"""What happens to a conversation on the customer's side: each function is one transaction,
named for what it does, and tells the sockets concerned after it commits.

Consumers and views call these; they never touch the models' tables themselves, and they
never broadcast: anything a client is told about is committed first (``broadcast``).
"""

from __future__ import annotations

import logging
import secrets
import uuid
from dataclasses import dataclass, replace

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from inference_worker.jobs import ReplyJob
from inference_worker.loader import GEMMA_ALIASES
from supportbot.chat import answer_texts, broadcast, frames
from supportbot.chat.language import LanguageGuess, detect_language, normalize_locale
from supportbot.chat.models import (
    Actor,
    Conversation,
    ConversationEvent,
    Message,
    Priority,
    Reason,
    client_key,
    hash_token,
)
from supportbot.chat.prompts import build_reply_job
from supportbot.chat.signals import customer_message_stored
from supportbot.detectors.message_signals import Signals
from supportbot.experiments.assignment import place
from supportbot.knowledge.search import retrieve
from supportbot.safety.messages import message as safety_message
from supportbot.safety.models import SafetyEvent
from supportbot.safety.verdict import Action, Category, Verdict

logger = logging.getLogger(__name__)

NO_SIGNALS = Signals()
# Below this, a detection does not move the conversation's language.
LANGUAGE_SWITCH_CONFIDENCE = 0.6


class ConversationClosed(Exception):
    """The conversation is resolved and takes no more customer messages."""


@dataclass(slots=True)
class CustomerMessageResult:
    message: Message
    created: bool
    # The job that answers it, when the bot answers (built after commit).
    job: ReplyJob | None = None
    # A reply stored without the model: the safety filter's (a refusal, or care and a
    # handoff), "I don't have that information", small talk, or the article's own words.
    reply: Message | None = None


def create_conversation(
    *, locale: str | None, visitor_id: str, origin: str = "", client_address: str = ""
) -> tuple[Conversation, str]:
    """Open a conversation; return it and its secret token (only the hash is stored).
    ``client_address`` is kept only as a keyed hash, for per-source caps."""
    token = secrets.token_urlsafe(16)  # 128 bits
    language = normalize_locale(locale) or "en"
    with transaction.atomic():
        placement = place(visitor_id[:64])
        conversation = Conversation.objects.create(
            token_hash=hash_token(token),
            visitor_id=visitor_id[:64],
            origin=origin[:255],
            locale=(locale or "")[:16],
            language=language,
            variant=placement.variant,
            arm=placement.arm,
            client_key=client_key(client_address) if client_address else "",
        )
        conversation.log(
            ConversationEvent.Kind.CREATED, to_state=conversation.state, actor=Actor.CUSTOMER
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


def recent_languages(conversation_id: int, limit: int = 5) -> list[str]:
    """The languages of the customer's latest messages, oldest first (detection's prior)."""
    return list(
        Message.objects.filter(conversation_id=conversation_id, role=Actor.CUSTOMER)
        .exclude(language="")
        .order_by("-seq")
        .values_list("language", flat=True)[:limit]
    )[::-1]


def receive_customer_message(
    conversation_id: int,
    *,
    client_id: uuid.UUID,
    text: str,
    language: LanguageGuess | None = None,
    verdict: Verdict | None = None,
    signals: Signals = NO_SIGNALS,
    sender_channel: str | None = None,
    query: np.ndarray | None = None,
) -> CustomerMessageResult:
    """Store a customer message once per ``client_id`` and decide, in the same transaction,
    who answers it: the safety filter's fixed reply, a person (the ticket side's triggers,
    via ``signals.customer_message_stored``), or the bot (``result.job``).

    ``language``, ``verdict`` and ``signals`` are computed by the caller beforehand, off the
    database thread (the socket does; without ``language`` it is detected here, still
    outside the transaction). A resend of a stored ``client_id`` returns the stored row
    (``created=False``), so the caller acknowledges it again without storing or answering
    twice. Raises ``ConversationClosed`` for a resolved conversation. The customer's other
    sockets and the consoles hear of the message after commit (``sender_channel`` has it).

    When the bot answers, the knowledge base is searched (``query``: the message's embedding,
    if the caller has it); with no relevant article the bot says so and offers a person
    instead of generating (``result.reply`` is that reply).
    """
    existing = Message.objects.filter(conversation_id=conversation_id, client_id=client_id).first()
    if existing is not None:
        return CustomerMessageResult(existing, created=False)
    if language is None:
        locale = Conversation.objects.values_list("locale", flat=True).get(pk=conversation_id)
        language = detect_language(text, locale=locale, history=recent_languages(conversation_id))
    try:
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
            # Checked on the locked row, so a resolve cannot slip in between check and insert.
            if not conversation.is_open:
                raise ConversationClosed(str(conversation.public_id))
            message = _store_customer_message(conversation, client_id, text, language, verdict)
            flagged = verdict is not None and not verdict.is_allow
            if flagged:
                SafetyEvent.record(
                    verdict,
                    conversation_id=conversation.pk,
                    direction=SafetyEvent.Direction.INPUT,
                    message_id=message.pk,
                    language=conversation.language,
                )
            broadcast.to_customers_on_commit(
                str(conversation.public_id),
                frames.stored_message(message),
                exclude=sender_channel,
            )
            safety_reply = _answer_for_safety(conversation, message, verdict) if flagged else None
            if safety_reply is None and conversation.bot_may_reply:
                # The ticket side may bring in a person now (asked for one, angry, ...).
                customer_message_stored.send(
                    sender=Message, conversation=conversation, message=message, signals=signals
                )
            bot_answers = safety_reply is None and conversation.bot_may_reply
    except IntegrityError:
        # Two sockets raced with the same client_id; the other one stored it.
        message = Message.objects.get(conversation_id=conversation_id, client_id=client_id)
        return CustomerMessageResult(message, created=False)
    if not bot_answers:
        return CustomerMessageResult(message, created=True, reply=safety_reply)
    reply, job = plan_answer(message, query=query)
    return CustomerMessageResult(message, created=True, job=job, reply=reply)


def answer_mode(conversation: Conversation) -> str:
    """``generate`` (the model writes from the passages) or ``extract`` (the passage's own
    words, in the customer's language): ``SUPPORTBOT_ANSWER_MODE``, where ``auto`` extracts
    for the bundled base model, which copies its few-shot examples more than it reads."""
    mode = settings.SUPPORTBOT["ANSWER_MODE"]
    if mode != "auto":
        return mode
    model = conversation.variant.model if conversation.variant else settings.SUPPORTBOT["MODEL"]
    return "extract" if model.strip().lower() in GEMMA_ALIASES else "generate"


def plan_answer(
    message: Message, *, query: np.ndarray | None = None
) -> tuple[Message | None, ReplyJob | None]:
    """Search the knowledge base for ``message`` and answer it: at once (no article: say so
    and offer a person; small talk or a passage in the customer's language, in ``extract``
    mode), returning the stored reply; or by the model, returning its job."""
    retrieval = retrieve(message.model_text, message.language, query=query)
    if retrieval.abstain:
        return answer_without_source(message), None
    if answer_mode(message.conversation) == "extract":
        language = message.language or message.conversation.language
        if retrieval.small_talk:
            text = answer_texts.small_talk(retrieval.small_talk_kind, language)
            return _answer_directly(message, text, finish_reason=frames.SMALL_TALK), None
        best = retrieval.hits[0].passage if retrieval.hits else None
        if best is not None and best.language == language and best.chunk:
            reply = _answer_directly(
                message,
                best.chunk,
                finish_reason=frames.SOURCE_TEXT,
                sources=retrieval.sources[:1],
                grounding={"supported": True, "action": "extract"},
            )
            return reply, None
        if best is not None and best.chunk:
            # No version in the customer's language: the engine translates the passage (the
            # checks still hold it to the passage's numbers and the customer's language).
            job = build_reply_job(message, retrieval=retrieval)
            return None, replace(
                job,
                sources=job.sources[:1],
                translate_text=best.chunk,
                translate_from=best.language,
            )
    return None, build_reply_job(message, retrieval=retrieval)


def answer_without_source(message: Message) -> Message | None:
    """No article answers ``message``: say so in the customer's language and offer a person
    (the widget shows its button), instead of letting the model invent an answer."""
    language = message.language or message.conversation.language
    return _answer_directly(message, answer_texts.no_source(language), frames.NO_SOURCE)


def _answer_directly(
    message: Message,
    text: str,
    finish_reason: str,
    *,
    sources: list[dict] | None = None,
    grounding: dict | None = None,
) -> Message | None:
    """Store a reply that needs no model, once, and announce it after commit."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        answered = Message.objects.filter(reply_to=message, role=Actor.BOT).exists()
        if answered or not conversation.bot_may_reply:
            return None
        reply = conversation.add_message(
            role=Actor.BOT,
            text=text,
            language=conversation.language,
            reply_to=message,
            variant=conversation.variant,
            finish_reason=finish_reason,
            sources=sources or [],
            grounding=grounding or {},
        )
        conversation.log(
            ConversationEvent.Kind.BOT_REPLIED,
            actor=Actor.BOT,
            message=reply,
            data={"finish_reason": finish_reason},
        )
        broadcast.to_customers_on_commit(
            str(conversation.public_id), frames.bot_done(reply, message.seq)
        )
    return reply


def _store_customer_message(
    conversation: Conversation,
    client_id: uuid.UUID,
    text: str,
    guess: LanguageGuess,
    verdict: Verdict | None,
) -> Message:
    now = timezone.now()
    changed: list[str] = []
    started = conversation.started_at is None
    if started:
        conversation.started_at = now
        changed.append("started_at")
    if guess.confidence >= LANGUAGE_SWITCH_CONFIDENCE and guess.code != conversation.language:
        conversation.language = guess.code
        changed.append("language")
    message = conversation.add_message(
        role=Actor.CUSTOMER,
        text=text,
        # The input filter's redacted copy; without a verdict the message makes its own.
        redacted_text=(verdict.redacted if verdict.redacted != text else "") if verdict else None,
        safety_action=str(verdict.action) if verdict else "",
        client_id=client_id,
        language=guess.code,
        language_confidence=guess.confidence,
        created_at=now,
        save_fields=tuple(changed),
    )
    if started:
        conversation.log(
            ConversationEvent.Kind.STARTED,
            to_state=conversation.state,
            actor=Actor.CUSTOMER,
            message=message,
            created_at=now,
        )
    return message


def _answer_for_safety(
    conversation: Conversation, message: Message, verdict: Verdict
) -> Message | None:
    """A refused or alarming message gets a fixed reply, not the model's; self-harm and
    threats also bring in a person. Redacted messages go on to the model as usual."""
    if verdict.action not in (Action.BLOCK, Action.ESCALATE):
        return None
    escalate = verdict.action is Action.ESCALATE
    # The crisis message only when self-harm is what the filter found, not one of many
    # middling guesses (``policy.decide`` leaves ``primary`` empty then).
    care = escalate and verdict.primary is Category.SELF_HARM
    # A person in the chat sees the flag and answers; until one joins, distress still
    # gets the caring message.
    waiting_with_distress = care and conversation.state == Conversation.State.WAITING_AGENT
    if not conversation.bot_may_reply and not waiting_with_distress:
        return None
    kind = "care" if care else "handover" if escalate else "input_blocked"
    reply = conversation.add_message(
        role=Actor.BOT,
        text=safety_message(kind, conversation.language),
        language=conversation.language,
        reply_to=message,
        variant=conversation.variant,
        finish_reason="safety",
    )
    # Before the handoff that the escalation below announces.
    broadcast.to_customers_on_commit(
        str(conversation.public_id), frames.bot_done(reply, message.seq)
    )
    if escalate:
        data = {"categories": [str(c) for c in verdict.categories]}
        priority = Priority.URGENT if verdict.urgent else Priority.HIGH
        if not conversation.escalate(reason=Reason.SAFETY, data=data, priority=priority):
            conversation.raise_priority(priority, reason=Reason.SAFETY, data=data)
    return reply


def record_dispatch_failure(message_id: int, reason: str) -> None:
    message = Message.objects.select_related("conversation").get(pk=message_id)
    message.conversation.log(
        ConversationEvent.Kind.DISPATCH_FAILED, actor=Actor.SYSTEM, reason=reason, message=message
    )


def messages_after(conversation_id: int, after_seq: int) -> list[Message]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, seq__gt=after_seq)
        .select_related("reply_to", "author")
        .order_by("seq")
    )


def unanswered_customer_message(conversation_id: int) -> Message | None:
    """The newest customer message if the bot owes it a reply (e.g. after a restart, or
    after it waited for the reply in flight to an earlier one, which does not answer it)."""
    conversation = Conversation.objects.get(pk=conversation_id)
    if not conversation.bot_may_reply:
        return None
    last = (
        Message.objects.filter(conversation_id=conversation_id, role=Actor.CUSTOMER)
        .order_by("-seq")
        .first()
    )
    if last is None:
        return None
    answered = Message.objects.filter(conversation_id=conversation_id, seq__gt=last.seq).filter(
        Q(role=Actor.BOT, reply_to=last) | Q(role=Actor.AGENT)
    )
    return None if answered.exists() else last


def follow_up_job(public_id: str) -> ReplyJob | None:
    """``job_for_unanswered`` by the conversation's public id (a reply just ended)."""
    conversation_id = (
        Conversation.objects.filter(public_id=public_id).values_list("pk", flat=True).first()
    )
    return None if conversation_id is None else job_for_unanswered(conversation_id)


def job_for_unanswered(conversation_id: int) -> ReplyJob | None:
    """The job that answers the conversation's unanswered message, if the bot owes one (or
    None after answering it without a source, when no article fits)."""
    pending = unanswered_customer_message(conversation_id)
    return None if pending is None else job_for_message(pending)


def job_for_message(message: Message) -> ReplyJob | None:
    """The job that answers a stored customer message; None when it was answered without
    the model (``plan_answer``)."""
    _reply, job = plan_answer(message)
    return job
