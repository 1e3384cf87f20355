"""The customer's socket: parse a frame, call one service, answer. See docs/protocol.md."""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from inference_worker.jobs import ReplyJob
from supportbot.agents import notify
from supportbot.agents.snapshots import message_item
from supportbot.chat import csat, frames, services
from supportbot.chat.csat import csat_pending, csat_request_frame
from supportbot.chat.dispatch import DispatchError, get_dispatcher, send_to_conversation
from supportbot.chat.escalation import (
    Reason,
    Signals,
    escalate,
    handoff_frame,
    last_transition_reason,
    leave_contact,
    resolve_by_customer,
    trigger_for,
)
from supportbot.chat.models import Actor, Conversation, Message
from supportbot.chat.prompts import build_reply_job
from supportbot.chat.ratelimit import SlidingWindow
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
from supportbot.safety.screening import screen_input
from supportbot.safety.verdict import Verdict

logger = logging.getLogger(__name__)

# Application close code for a refused handshake (sent as HTTP 403 before accept).
CLOSE_FORBIDDEN = 4403
# Typing notices reach the agent at most this often.
TYPING_EVERY_S = 1.0


def _screen(text: str) -> tuple[Verdict, Signals]:
    """The safety verdict and the escalation signals of one message (CPU work, no DB)."""
    from supportbot.chat.human_request import asks_for_human
    from supportbot.chat.sentiment import strongly_negative

    return screen_input(text), Signals(asks_for_human(text), strongly_negative(text))


@dataclass(slots=True)
class Prepared:
    result: services.CustomerMessageResult
    job: ReplyJob | None = None
    handoff: dict | None = None  # the conversation just went to people
    agent_frame: dict | None = None  # the new message, as open consoles show it


def _store_and_prepare(
    conversation_id: int, client_id: uuid.UUID, text: str, verdict: Verdict, signals: Signals
) -> Prepared:
    """Store the message, decide between the bot and people, and build what follows: one
    trip to the DB thread."""
    result = services.record_customer_message(
        conversation_id, client_id=client_id, text=text, verdict=verdict
    )
    prepared = Prepared(result)
    if not result.created:
        return prepared
    conversation = Conversation.objects.get(pk=conversation_id)
    reason = trigger_for(conversation, signals) if result.needs_reply else None
    if reason is not None:
        actor = Actor.CUSTOMER if reason == Reason.CUSTOMER_REQUEST else Actor.SYSTEM
        moved = escalate(
            conversation_id, reason=reason, actor=actor, data={"seq": result.message.seq}
        )
        if moved.escalated:
            result.needs_reply = False
            conversation.refresh_from_db()
            prepared.handoff = handoff_frame(conversation, reason)
    elif result.escalated:
        conversation.refresh_from_db()
        prepared.handoff = handoff_frame(conversation, Reason.SAFETY)
    if result.needs_reply:
        prepared.job = build_reply_job(result.message)
    prepared.agent_frame = {"type": "message", **message_item(result.message)}
    return prepared


def _handoff_now(conversation_id: int, reason: str | None = None) -> dict:
    """The current ``handoff``; ``reason`` None means the reason of the last move."""
    conversation = Conversation.objects.select_related("assigned_agent").get(pk=conversation_id)
    return handoff_frame(conversation, reason or last_transition_reason(conversation))


def _state_for_consoles(public_id: str, state: str) -> dict:
    """The ``state`` frame consoles get when the customer side moved the conversation."""
    return {"type": "state", "conversation": public_id, "state": state, "assigned_to": None}


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
        query = parse_qs(self.scope.get("query_string", b"").decode("latin-1"))
        token = (query.get("token") or [None])[0]
        conversation = await database_sync_to_async(services.authenticate_conversation)(
            public_id, token
        )
        if conversation is None:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        options = settings.SUPPORTBOT
        self.conversation = conversation
        self.public_id = str(conversation.public_id)
        self.group = frames.group_name(self.public_id)
        self.rate = SlidingWindow(options["RATE_LIMIT_MESSAGES"], options["RATE_LIMIT_WINDOW_S"])
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
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
            await self.handle_resume(command)
        elif isinstance(command, Typing):
            await self.handle_typing()
        elif not self.rate.allow():
            # Frames that write to the database share the messages' budget.
            await self.send_json(frames.error("rate_limited", "Too many requests; wait a moment."))
        elif isinstance(command, Escalate):
            await self.handle_escalate()
        elif isinstance(command, Resolve):
            await self.handle_resolve()
        elif isinstance(command, Contact):
            await self.handle_contact(command)
        elif isinstance(command, Csat):
            await self.handle_csat(command)

    async def to_other_tabs(self, frame: dict) -> None:
        try:
            await send_to_conversation(self.public_id, frame, exclude=self.channel_name)
        except Exception:
            logger.warning("could not send a %s frame to other tabs", frame.get("type"))

    async def handle_escalate(self) -> None:
        moved = await database_sync_to_async(escalate)(
            self.conversation.pk, reason=Reason.CUSTOMER_BUTTON, actor=Actor.CUSTOMER
        )
        frame = await database_sync_to_async(_handoff_now)(
            self.conversation.pk, Reason.CUSTOMER_BUTTON if moved.escalated else None
        )
        await self.send_json(frame)  # also when people already had it: the widget learns so
        if moved.escalated:
            await self.to_other_tabs(frame)
            await notify.queue_changed()
            await notify.to_conversation_agents(
                self.public_id, _state_for_consoles(self.public_id, moved.state)
            )

    async def handle_resolve(self) -> None:
        if not await database_sync_to_async(resolve_by_customer)(self.conversation.pk):
            await self.send_json(
                frames.error("cannot_resolve", "A person has this conversation and will close it.")
            )
            return
        for frame in await database_sync_to_async(_state_frames)(self.conversation.pk):
            await self.send_json(frame)
            await self.to_other_tabs(frame)
        await notify.queue_changed()
        await notify.to_conversation_agents(
            self.public_id, _state_for_consoles(self.public_id, Conversation.State.RESOLVED)
        )

    async def handle_typing(self) -> None:
        loop = asyncio.get_running_loop()
        if loop.time() - self.last_typing < TYPING_EVERY_S:
            return
        self.last_typing = loop.time()
        await notify.to_conversation_agents(
            self.public_id,
            {"type": "typing", "conversation": self.public_id, "role": "customer"},
        )

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
        await notify.queue_changed()

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
        if not self.rate.allow():
            await self.send_json(
                frames.error("rate_limited", "Too many messages; wait a few seconds.", client_id)
            )
            return
        # Screened before it is stored or prompted; on a worker thread, off the DB thread.
        try:
            verdict, signals = await sync_to_async(_screen, thread_sensitive=False)(command.text)
        except Exception:
            # Unscreened text is neither stored nor prompted; the widget may resend it.
            logger.exception("screening a message failed")
            await self.send_json(
                frames.error("unavailable", "The message could not be checked.", client_id)
            )
            return
        try:
            prepared = await database_sync_to_async(_store_and_prepare)(
                self.conversation.pk, command.client_id, command.text, verdict, signals
            )
        except services.ConversationClosed:
            await self.send_json(
                frames.error("conversation_closed", "This conversation has ended.", client_id)
            )
            return
        result, job = prepared.result, prepared.job
        await self.send_json(frames.ack(result.message))
        if result.safety_reply is not None:
            reply = frames.bot_done(result.safety_reply, result.message.seq)
            # This socket gets it directly, whatever the channel layer's state.
            await self.send_json(reply)
            await self.to_other_tabs(reply)
        if prepared.handoff is not None:
            await self.send_json(prepared.handoff)
            await self.to_other_tabs(prepared.handoff)
            await notify.queue_changed()
        # The reply first: the echo to the customer's other tabs is not what anyone waits for.
        if job is not None:
            await self.start_reply(result.message, job)
        if prepared.agent_frame is not None:
            await notify.to_conversation_agents(self.public_id, prepared.agent_frame)
        if result.created:
            try:
                await send_to_conversation(
                    self.public_id, frames.stored_message(result.message), exclude=self.channel_name
                )
            except Exception:
                # Other tabs catch up on resume.
                logger.warning("could not echo message %s to other tabs", result.message.seq)

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
            await self.start_reply(pending)  # a no-op if it is already queued or generating

    async def start_reply(self, message: Message, job: ReplyJob | None = None) -> None:
        if job is None:
            job = await database_sync_to_async(build_reply_job)(message)
        try:
            await get_dispatcher().dispatch(job)
        except DispatchError as exc:
            await database_sync_to_async(services.record_dispatch_failure)(message.pk, exc.code)
            await self.send_json(frames.error(exc.code, exc.detail, str(message.client_id)))
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
                    pending = await database_sync_to_async(services.unanswered_customer_message)(
                        self.conversation.pk
                    )
                    if pending is None:
                        return
                    job = await database_sync_to_async(build_reply_job)(pending)
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
        await self.send_json(event["frame"])
