"""The customer's socket: parse a frame, call one service, answer. See docs/protocol.md."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass
from urllib.parse import parse_qs

import numpy as np
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from inference_worker.jobs import ReplyJob
from supportbot.chat import broadcast, csat, frames, services, signals
from supportbot.chat.clients import socket_address
from supportbot.chat.csat import csat_pending, csat_request_frame
from supportbot.chat.dispatching import DispatchError, get_dispatcher
from supportbot.chat.escalation import (
    current_handoff_frame,
    escalate_for_customer,
    handoff_frame,
    last_transition_reason,
    leave_contact,
    resolve_by_customer,
)
from supportbot.chat.language import LanguageGuess, detect_language
from supportbot.chat.models import Actor, Conversation
from supportbot.chat.ratelimit import Budget, message_budget, resume_budget
from supportbot.chat.validation import (
    Contact,
    Csat,
    Escalate,
    FrameError,
    Resolve,
    Resume,
    SendMessage,
    Typing,
    parse_frame,
)
from supportbot.detectors.message_signals import Signals, read_signals
from supportbot.knowledge.search import embed_question
from supportbot.safety.screening import screen_input
from supportbot.safety.verdict import Verdict

logger = logging.getLogger(__name__)

# Application close code for a refused handshake (sent as HTTP 403 before accept).
CLOSE_FORBIDDEN = 4403
# Earlier message languages kept as the language detector's prior.
HISTORY_LANGUAGES = 5
# Typing notices reach the agent at most this often.
TYPING_EVERY_S = 1.0


@dataclass(frozen=True, slots=True)
class Reading:
    """What is computed from a message's text before it is stored (CPU work, no DB)."""

    verdict: Verdict
    signals: Signals
    language: LanguageGuess
    query: np.ndarray  # the text as the model sees it, embedded for the knowledge search


def _read(
    text: str, locale: str, history: list[str], *, budget: Budget, public_id: str, address: str
) -> Reading | int:
    """Spend the message budget, then read the text; over budget, the seconds to wait
    instead. One trip off the event loop for both."""
    wait = budget.spend(public_id, address)
    if wait:
        return wait
    verdict = screen_input(text)
    return Reading(
        verdict,
        read_signals(text),
        detect_language(text, locale=locale, history=history),
        embed_question(verdict.redacted or text),
    )


def _open(public_id: str, token: str | None) -> tuple[Conversation | None, list[str]]:
    conversation = services.authenticate_conversation(public_id, token)
    if conversation is None:
        return None, []
    return conversation, services.recent_languages(conversation.pk)


def _state_frames(conversation_id: int) -> list[dict]:
    """What a (re)connecting widget must know besides the messages: who has the chat, and
    whether its rating is still owed."""
    conversation = Conversation.objects.select_related("assigned_agent").get(pk=conversation_id)
    out = []
    if conversation.state != Conversation.State.BOT:
        out.append(handoff_frame(conversation, last_transition_reason(conversation)))
    if csat_pending(conversation):
        csat.note_csat_requested(conversation)
        out.append(csat_request_frame(conversation))
    return out


class ChatConsumer(AsyncJsonWebsocketConsumer):
    conversation: Conversation
    group: str
    redispatch: asyncio.Task | None = None
    last_typing: float = float("-inf")

    async def connect(self) -> None:
        public_id = self.scope["url_route"]["kwargs"]["conversation"]
        offered = list(self.scope.get("subprotocols") or [])
        token = frames.token_from_subprotocols(offered)
        if token is None:
            # Deprecated: old widgets put the token in the query string, where proxies
            # log it. Accepted until they are gone (docs/protocol.md, "The socket").
            query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
            token = (query.get("token") or [None])[0]
        conversation, languages = await database_sync_to_async(_open)(public_id, token)
        if conversation is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.conversation = conversation
        self.public_id = str(conversation.public_id)
        self.group = broadcast.group_name(self.public_id)
        self.address = socket_address(self.scope)
        # The customer's recent languages (detection's prior), kept up to date from this
        # socket's acks and the other tabs' messages: no database trip per message.
        self.languages = deque(languages, maxlen=HISTORY_LANGUAGES)
        await self.channel_layer.group_add(self.group, self.channel_name)
        # A browser that offered subprotocols fails a handshake that picks none of them.
        await self.accept(frames.SUBPROTOCOL if frames.SUBPROTOCOL in offered else None)
        get_dispatcher().customer_joined(self.public_id)

    async def disconnect(self, code: int) -> None:
        if self.redispatch is not None:
            self.redispatch.cancel()
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)
            get_dispatcher().customer_left(self.public_id)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        options = settings.SUPPORTBOT
        if text_data is None:
            await self.send_json(frames.error("invalid_json", "Send JSON text frames."))
            return
        try:
            command = parse_frame(
                text_data,
                max_chars=options["MAX_MESSAGE_CHARS"],
                max_bytes=options["MAX_FRAME_BYTES"],
            )
        except FrameError as exc:
            await self.send_json(frames.error(exc.code, exc.detail, exc.client_id))
            return
        if isinstance(command, SendMessage):
            await self.handle_message(command)
        elif isinstance(command, Resume):
            if wait := await self.spend(resume_budget()):
                await self.send_json(frames.rate_limited("Too many resumes.", wait))
                return
            await self.handle_resume(command)
        elif isinstance(command, Typing):
            await self.handle_typing()
        elif wait := await self.spend(message_budget()):
            # Frames that write to the database share the messages' budget.
            await self.send_json(frames.rate_limited("Too many requests.", wait))
        elif isinstance(command, Escalate):
            await self.handle_escalate()
        elif isinstance(command, Resolve):
            await self.handle_resolve()
        elif isinstance(command, Contact):
            await self.handle_contact(command)
        elif isinstance(command, Csat):
            await self.handle_csat(command)

    async def spend(self, budget: Budget) -> int:
        """One unit of ``budget``, shared with every socket of this conversation and address:
        0, or the seconds to wait when it is spent."""
        return await sync_to_async(budget.spend, thread_sensitive=False)(
            self.public_id, self.address
        )

    async def handle_escalate(self) -> None:
        moved = await database_sync_to_async(escalate_for_customer)(self.conversation.pk)
        if not moved.escalated:
            # People have it already (or it ended): this widget learns so; nothing changed.
            frame = await database_sync_to_async(current_handoff_frame)(self.conversation.pk)
            await self.send_json(frame)

    async def handle_resolve(self) -> None:
        if not await database_sync_to_async(resolve_by_customer)(self.conversation.pk):
            await self.send_json(
                frames.error("cannot_resolve", "A person has this conversation and will close it.")
            )

    async def handle_typing(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - self.last_typing < TYPING_EVERY_S:
            return
        self.last_typing = loop.time()
        await signals.customer_typing.asend(sender=Conversation, public_id=self.public_id)

    async def handle_contact(self, command: Contact) -> None:
        kept = await database_sync_to_async(leave_contact)(
            self.conversation.pk, name=command.name, email=command.email, phone=command.phone
        )
        if not kept:
            await self.send_json(
                frames.error("contact_not_needed", "Contact details are asked while you wait.")
            )
            return
        await self.send_json({"type": "contact.saved"})

    async def handle_csat(self, command: Csat) -> None:
        try:
            await database_sync_to_async(csat.record_csat)(
                self.conversation.pk, rating=command.rating, comment=command.comment
            )
        except csat.CsatNotOpen:
            await self.send_json(
                frames.error("csat_not_open", "Ratings are asked once the chat is resolved.")
            )
            return
        except csat.CsatAlreadyGiven:
            await self.send_json(
                frames.error("csat_already_given", "This conversation is already rated.")
            )
            return
        await self.send_json({"type": "csat.saved", "rating": command.rating})

    async def handle_message(self, command: SendMessage) -> None:
        client_id = str(command.client_id)
        # Screened before it is stored or prompted; on a worker thread, off the DB thread.
        try:
            reading = await sync_to_async(_read, thread_sensitive=False)(
                command.text,
                self.conversation.locale,
                list(self.languages),
                budget=message_budget(),
                public_id=self.public_id,
                address=self.address,
            )
        except Exception:
            # Unscreened text is neither stored nor prompted; the widget may resend it.
            logger.exception("screening a message failed")
            await self.send_json(
                frames.error("unavailable", "The message could not be checked.", client_id)
            )
            return
        if isinstance(reading, int):
            await self.send_json(frames.rate_limited("Too many messages.", reading, client_id))
            return
        try:
            result = await database_sync_to_async(services.receive_customer_message)(
                self.conversation.pk,
                client_id=command.client_id,
                text=command.text,
                language=reading.language,
                verdict=reading.verdict,
                signals=reading.signals,
                sender_channel=self.channel_name,
                query=reading.query,
            )
        except services.ConversationClosed:
            await self.send_json(
                frames.error("conversation_closed", "This conversation has ended.", client_id)
            )
            return
        except Exception:
            # Rolled back whole: nothing is stored and nothing was acknowledged, so the
            # widget keeps the message and may send it again.
            logger.exception("storing a customer message failed")
            await self.send_json(
                frames.error("unavailable", "The message could not be stored.", client_id)
            )
            return
        await self.send_json(frames.ack(result.message))
        if result.created and result.message.language:
            self.languages.append(result.message.language)
        if result.job is not None:
            await self.start_reply(result.message.pk, result.message.client_id, result.job)

    async def handle_resume(self, command: Resume) -> None:
        stored = await database_sync_to_async(services.messages_after)(
            self.conversation.pk, command.after_seq
        )
        last_seq = command.after_seq
        for message in stored:
            await self.send_json(frames.stored_message(message))
            last_seq = message.seq
        await self.send_json({"type": "resume.done", "last_seq": last_seq})
        for frame in await database_sync_to_async(_state_frames)(self.conversation.pk):
            await self.send_json(frame)
        # A question left unanswered by a restart or an abandoned generation is answered now.
        pending = await database_sync_to_async(services.unanswered_customer_message)(
            self.conversation.pk
        )
        if pending is not None:
            # A no-op if it is already queued or generating.
            job = await database_sync_to_async(services.job_for_message)(pending)
            if job is not None:
                await self.start_reply(pending.pk, pending.client_id, job)

    async def start_reply(self, message_id: int, client_id, job: ReplyJob) -> None:
        try:
            await get_dispatcher().dispatch(job)
        except DispatchError as exc:
            await database_sync_to_async(services.record_dispatch_failure)(message_id, exc.code)
            await self.send_json(frames.error(exc.code, exc.detail, str(client_id)))
            if self.redispatch is None:
                self.redispatch = asyncio.create_task(self.answer_when_possible(exc.code))

    async def answer_when_possible(self, code: str) -> None:
        """While the customer waits, keep trying to queue the reply the broker refused
        (``unavailable``: it may be restarting; ``busy``: the queue may drain). A
        reconnecting customer's resume covers the rest."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + settings.SUPPORTBOT["REDISPATCH_FOR_S"]
        delay = 0.5 if code == "unavailable" else 2.0
        try:
            while loop.time() < deadline:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 15.0)
                try:
                    # Built afresh: the customer may have written again meanwhile.
                    job = await database_sync_to_async(services.job_for_unanswered)(
                        self.conversation.pk
                    )
                    if job is None:
                        return
                    await get_dispatcher().dispatch(job)
                except DispatchError:
                    continue
                except Exception:
                    logger.info("queueing a refused reply failed again; retrying", exc_info=True)
                    continue
                logger.info("queued %s after it was refused (%s)", job.request_id, code)
                return
        finally:
            self.redispatch = None

    async def conversation_frame(self, event: dict) -> None:
        if event.get("exclude") == self.channel_name:
            return
        frame = event["frame"]
        # The customer wrote from another tab: its language is part of the prior too.
        if frame.get("type") == "message" and frame.get("role") == Actor.CUSTOMER:
            self.languages.extend([frame["language"]] if frame.get("language") else [])
        await self.send_json(frame)
