"""The agent console's socket (docs/agent-console.md): parse a frame, call one service, tell
the people concerned. Business rules live in ``supportbot.agents.services``."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import timezone

from supportbot.agents import notify, services, sessions, snapshots, translation
from supportbot.agents.models import AgentPresence
from supportbot.agents.roles import is_agent
from supportbot.agents.services import AgentActionError
from supportbot.chat import broadcast, frames
from supportbot.chat.ratelimit import SlidingWindow
from supportbot.chat.validation import clean_text
from supportbot.serving.engine_client import EngineClient

logger = logging.getLogger(__name__)

CLOSE_FORBIDDEN = 4403
CLOSE_SESSION_ENDED = 4401
CLOSE_CODES = {sessions.FORBIDDEN: CLOSE_FORBIDDEN, sessions.SESSION_ENDED: CLOSE_SESSION_ENDED}
REFUSALS = {
    sessions.FORBIDDEN: "You no longer have access to the agent console.",
    sessions.SESSION_ENDED: "Your session has ended; sign in again.",
}
MAX_NOTE_CHARS = 4000
ACTIONS_PER_10_S = 30
# Presence (and the role) is checked this often (well inside AGENT_PRESENCE_TTL_S).
HEARTBEAT_S = 20.0
TYPING_EVERY_S = 1.0
# A console re-reads the queue at most this often, however many changes arrive: a burst of
# escalations or contact details costs each console one query per second, and the last
# change is always shown (it is read after the wait).
QUEUE_REFRESH_S = 1.0


def _record_presence(user_id: int, channel_name: str) -> None:
    AgentPresence.objects.update_or_create(
        channel_name=channel_name, defaults={"user_id": user_id, "last_seen": timezone.now()}
    )


def _forget_presence(channel_name: str) -> None:
    AgentPresence.objects.filter(channel_name=channel_name).delete()


class AgentConsumer(AsyncJsonWebsocketConsumer):
    heartbeat: asyncio.Task | None = None
    last_typing: float = float("-inf")
    queue_refresh: asyncio.Task | None = None
    queue_stale: bool = False
    queue_sent_at: float = float("-inf")
    ended: bool = False

    async def connect(self) -> None:
        user = self.scope.get("user")
        if not await database_sync_to_async(is_agent)(user):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        self.user = user
        session = self.scope.get("session")
        self.session_key = getattr(session, "session_key", None)
        self.queue_view = snapshots.QueueView()
        self.opened: set[str] = set()
        self.tasks: set[asyncio.Task] = set()
        self.send_locks: dict[str, asyncio.Lock] = {}
        self.engine = EngineClient(self.channel_name)
        headers = dict(self.scope.get("headers", []))
        self.language = translation.language_of(
            headers.get(b"accept-language", b"").decode("latin-1")
        )
        self.rate = SlidingWindow(ACTIONS_PER_10_S, 10.0)
        await self.channel_layer.group_add(notify.QUEUE_GROUP, self.channel_name)
        await self.channel_layer.group_add(notify.user_group(user.pk), self.channel_name)
        await self.accept()
        await database_sync_to_async(_record_presence)(user.pk, self.channel_name)
        self.heartbeat = asyncio.create_task(self._beat())
        agents = await database_sync_to_async(snapshots.agents_list)()
        await self.send_json(
            {
                "type": "hello",
                "user": user.get_username(),
                "display_name": frames.agent_name(user),
                "language": self.language,
                "translation": True,
                "agents": agents,
                # The console's clocks run on this, not on the agent's own clock.
                "now": timezone.now().isoformat(),
            }
        )
        await self.send_queue()

    async def disconnect(self, code: int) -> None:
        if not hasattr(self, "user"):
            return
        if self.heartbeat is not None:
            self.heartbeat.cancel()
        if self.queue_refresh is not None:
            self.queue_refresh.cancel()
        for task in self.tasks:
            task.cancel()
        self.engine.cancel_all()
        await self.channel_layer.group_discard(notify.QUEUE_GROUP, self.channel_name)
        await self.channel_layer.group_discard(notify.user_group(self.user.pk), self.channel_name)
        for public_id in self.opened:
            await self.channel_layer.group_discard(
                notify.conversation_group(public_id), self.channel_name
            )
        await database_sync_to_async(_forget_presence)(self.channel_name)

    async def _beat(self) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                if await self.refused():
                    return
                await database_sync_to_async(_record_presence)(self.user.pk, self.channel_name)
            except Exception:
                logger.warning("could not refresh the presence of %s", self.user, exc_info=True)

    # Channel-layer events

    async def refused(self) -> bool:
        """Check the login again; if it ended (logout, password change, role or account
        taken away), say so and close the socket."""
        refusal = await database_sync_to_async(sessions.console_refusal)(
            self.user.pk, self.session_key
        )
        if refusal is not None:
            await self.end(refusal)
        return refusal is not None

    async def end(self, code: str) -> None:
        if self.ended:
            return
        self.ended = True
        await self.send_json(frames.error(code, REFUSALS[code]))
        await self.close(code=CLOSE_CODES[code])

    async def session_ended(self, event: dict) -> None:
        """The user logged out, changed their password or lost access (``sessions``)."""
        await self.end(event["code"])

    async def session_check(self, event: dict) -> None:
        """The user's groups changed: are they still an agent?"""
        await self.refused()

    async def queue_changed(self, event: dict) -> None:
        self.queue_stale = True
        if self.queue_refresh is None or self.queue_refresh.done():
            self.queue_refresh = asyncio.create_task(self._refresh_queue())

    async def _refresh_queue(self) -> None:
        loop = asyncio.get_running_loop()
        while self.queue_stale:
            wait = self.queue_sent_at + QUEUE_REFRESH_S - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            self.queue_stale = False  # a change from now on needs another read
            try:
                await self.send_queue()
            except Exception:
                logger.warning("could not refresh the queue of %s", self.user, exc_info=True)

    async def agent_frame(self, event: dict) -> None:
        frame = event["frame"]
        if frame.get("type") == "state" and frame.get("state") in ("bot", "resolved"):
            # Out of the queue: an agent who never handled it may no longer follow it.
            try:
                await database_sync_to_async(services.visible_to)(frame["conversation"], self.user)
            except AgentActionError:
                await self.do_close(frame["conversation"], {})
        await self.send_json(frame)
        if frame.get("type") == "message":
            self.translate_later([frame])

    async def agent_result(self, event: dict) -> None:
        """A worker's draft or translation for this console (``EngineClient``)."""
        self.engine.resolve(event["request"], event["text"])

    def translate_later(self, messages: list[dict]) -> None:
        """Send ``translation`` frames for the messages the agent cannot read, in order."""

        async def run() -> None:
            for message in messages:
                try:
                    frame = await translation.message_translation(
                        self.engine, message, self.language
                    )
                except Exception:
                    logger.warning("translating message %s failed", message.get("seq"))
                    continue
                if frame is not None:
                    await self.send_json(frame)

        self.in_background(run())

    async def send_queue(self) -> None:
        """The page of the queue this console looks at (``queue`` frame)."""
        self.queue_sent_at = asyncio.get_running_loop().time()
        page = await database_sync_to_async(snapshots.queue_page)(self.queue_view)
        await self.send_json(page)

    # Frames from the console

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        try:
            frame = json.loads(text_data or "")
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            await self.send_json(frames.error("invalid_json", "Send JSON objects."))
            return
        kind = frame.get("type")
        handler = getattr(self, f"do_{kind}", None) if isinstance(kind, str) else None
        if handler is None or kind not in ACTIONS:
            await self.send_json(frames.error("unknown_type", f"Unknown type {kind!r}."))
            return
        if await self.refused():  # every action checks the login and the role again
            return
        if kind == "queue":
            await self.do_queue(frame)
            return
        public_id = frame.get("conversation")
        if not isinstance(public_id, str):
            await self.send_json(frames.error("missing_field", "'conversation' is required."))
            return
        try:
            public_id = str(uuid.UUID(public_id))  # one spelling for ids and group names
        except ValueError:
            await self.send_error("not_found", "No such conversation.", public_id)
            return
        if kind != "typing" and not self.rate.allow():
            await self.send_json(frames.error("rate_limited", "Too many actions; slow down."))
            return
        if kind == "send":
            # Sends may wait for a translation, whose answer may arrive on this consumer's own
            # channel (a Celery worker's): waiting here would block its delivery. In the
            # background, one lock per conversation keeps them in the order they came.
            lock = self.send_locks.setdefault(public_id, asyncio.Lock())
            self.in_background(self.run_in_order(lock, handler, public_id, frame))
        elif kind == "suggest":
            self.in_background(self.run_action(handler, public_id, frame))
        else:
            await self.run_action(handler, public_id, frame)

    async def run_in_order(self, lock: asyncio.Lock, handler, public_id: str, frame: dict):
        async with lock:  # asyncio locks wake waiters first come, first served
            await self.run_action(handler, public_id, frame)

    async def run_action(self, handler, public_id: str, frame: dict) -> None:
        try:
            await handler(public_id, frame)
        except AgentActionError as exc:
            await self.send_error(exc.code, exc.detail, public_id)
        except Exception:
            # The console hears of it and the socket stays open.
            logger.exception("agent action %s on %s failed", frame.get("type"), public_id)
            await self.send_error("unavailable", "That did not work; try again.", public_id)

    async def send_error(self, code: str, detail: str, public_id: str) -> None:
        error = frames.error(code, detail)
        error["conversation"] = public_id
        await self.send_json(error)

    def in_background(self, work) -> None:
        task = asyncio.create_task(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def do_queue(self, frame: dict) -> None:
        """Page through or search the queue; later refreshes keep this view."""
        if not self.rate.allow():
            await self.send_json(frames.error("rate_limited", "Too many actions; slow down."))
            return
        try:
            self.queue_view = snapshots.queue_view(frame)
        except ValueError as exc:
            await self.send_json(frames.error("invalid_field", str(exc)))
            return
        await self.send_queue()

    async def do_open(self, public_id: str, frame: dict) -> None:
        conversation = await database_sync_to_async(services.visible_to)(public_id, self.user)
        public_id = str(conversation.public_id)
        await self.channel_layer.group_add(notify.conversation_group(public_id), self.channel_name)
        self.opened.add(public_id)
        detail = await database_sync_to_async(snapshots.conversation_detail)(conversation)
        await self.send_json(detail)
        self.translate_later(detail["messages"])

    async def do_close(self, public_id: str, frame: dict) -> None:
        if public_id in self.opened:
            self.opened.discard(public_id)
            await self.channel_layer.group_discard(
                notify.conversation_group(public_id), self.channel_name
            )

    async def do_claim(self, public_id: str, frame: dict) -> None:
        conversation = await database_sync_to_async(services.claim)(public_id, self.user)
        await self.send_json({"type": "claimed", "conversation": str(conversation.public_id)})

    async def do_send(self, public_id: str, frame: dict) -> None:
        text = _text(frame, settings.SUPPORTBOT["MAX_MESSAGE_CHARS"])
        if "client_id" not in frame:
            raise AgentActionError("missing_field", "'client_id' is required.")
        try:
            client_id = uuid.UUID(str(frame.get("client_id")))
        except ValueError:
            raise AgentActionError("invalid_field", "'client_id' must be a UUID.") from None
        original, redacted = text, None
        translate_to = await self._reply_language(public_id, frame)
        if translate_to is not None:
            translated = await translation.translate_reply(
                self.engine, original, source=self.language, target=translate_to,
                public_id=public_id,
            )  # fmt: skip
            text, redacted = translated.text, translated.redacted_text
        sent = await database_sync_to_async(services.send)(
            public_id, self.user, client_id=client_id, text=text, redacted_text=redacted,
            machine_translated=translate_to is not None,
        )  # fmt: skip

        if not sent.created:  # a resend: only this console needs to hear of it again
            await self.send_json(await database_sync_to_async(_console_frame)(sent.message))
        elif translate_to is not None:
            await database_sync_to_async(translation.record_source_text)(
                sent.message, self.language, original
            )

    async def _reply_language(self, public_id: str, frame: dict) -> str | None:
        """The customer's language when the agent asked for the reply to be translated."""
        if not frame.get("translate"):
            return None
        conversation = await database_sync_to_async(services.visible_to)(public_id, self.user)
        return None if conversation.language == self.language else conversation.language

    async def do_note(self, public_id: str, frame: dict) -> None:
        text = _text(frame, MAX_NOTE_CHARS)
        await database_sync_to_async(services.add_note)(public_id, self.user, text)

    async def do_typing(self, public_id: str, frame: dict) -> None:
        now = asyncio.get_running_loop().time()
        if now - self.last_typing < TYPING_EVERY_S or public_id not in self.opened:
            return
        self.last_typing = now
        if await database_sync_to_async(services.is_assigned)(public_id, self.user):
            await broadcast.send_now(
                broadcast.group_name(public_id),
                broadcast.frame_message({"type": "typing", "role": "agent"}),
            )

    async def do_transfer(self, public_id: str, frame: dict) -> None:
        to = frame.get("to")
        if not isinstance(to, str) or not to:
            raise AgentActionError("missing_field", "'to' is required.")
        await database_sync_to_async(services.transfer)(public_id, self.user, to)

    async def do_resolve(self, public_id: str, frame: dict) -> None:
        await database_sync_to_async(services.resolve)(public_id, self.user)

    async def do_handback(self, public_id: str, frame: dict) -> None:
        await database_sync_to_async(services.hand_back)(public_id, self.user)

    async def do_suggest(self, public_id: str, frame: dict) -> None:
        from supportbot.agents.suggestions import suggest_reply

        text = await suggest_reply(self.engine, public_id, self.user)
        await self.send_json({"type": "suggestion", "conversation": public_id, "text": text})


ACTIONS = frozenset(
    {"open", "close", "claim", "send", "note", "typing", "transfer", "resolve", "handback"}
    | {"suggest", "queue"}
)


def _text(frame: dict, limit: int) -> str:
    text = frame.get("text")
    if not isinstance(text, str):
        raise AgentActionError("missing_field", "'text' is required.")
    text = clean_text(text)
    if not text:
        raise AgentActionError("invalid_field", "The text is empty.")
    if len(text) > limit:
        raise AgentActionError("text_too_long", f"Limited to {limit} characters.")
    return text


def _console_frame(message) -> dict:
    """A stored message as consoles show it."""
    message = type(message).objects.select_related("author", "conversation").get(pk=message.pk)
    return {"type": "message", **snapshots.message_item(message)}
