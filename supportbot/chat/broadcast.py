"""Telling sockets what changed, once the database holds it.

Every frame that reports a stored change goes out through ``publish_on_commit``: the
service that made the change registers it inside its transaction, and it leaves only when
the transaction commits (nothing is sent for a rollback). Who listens is not the sender's
business: customer sockets join ``group_name(conversation)``; consoles join the groups the
ticket side names.

Publishing is synchronous (services run on database threads). The process that serves
replies may route it through its own event loop (``publishing_through``) so that a reply's
final frame can never overtake its streamed deltas.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterator
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

FRAME_EVENT = "conversation.frame"

Publisher = Callable[[str, dict[str, Any]], None]
_publisher: contextvars.ContextVar[Publisher | None] = contextvars.ContextVar(
    "supportbot_publisher", default=None
)


def group_name(public_id: str) -> str:
    """The channel-layer group of a conversation's customer sockets."""
    return f"conv.{str(public_id).replace('-', '')}"


def frame_message(frame: dict[str, Any], exclude: str | None = None) -> dict[str, Any]:
    """A widget frame as a channel-layer message (``exclude``: a socket that has it)."""
    return {"type": FRAME_EVENT, "frame": frame, "exclude": exclude}


class _Outbox:
    """Frames published from the web's database threads, sent in order by one task on the
    server's event loop: a commit never waits for Redis, and two frames of one change keep
    their order."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.queue: asyncio.Queue | None = None
        self.task: asyncio.Task | None = None

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        if self.loop is not loop:
            self.loop, self.queue, self.task = loop, None, None

    def accepts(self) -> bool:
        """True when called off a running server loop (a database thread of the server)."""
        loop = self.loop
        if loop is None or loop.is_closed() or not loop.is_running():
            return False
        try:
            return asyncio.get_running_loop() is not loop
        except RuntimeError:
            return True

    def put(self, group: str, message: dict[str, Any]) -> None:
        self.loop.call_soon_threadsafe(self._put, group, message)

    def _put(self, group: str, message: dict[str, Any]) -> None:  # on the loop
        if self.queue is None:
            self.queue = asyncio.Queue()
        if self.task is None or self.task.done():
            self.task = self.loop.create_task(self._drain())
        self.queue.put_nowait((group, message))

    async def _drain(self) -> None:
        layer = get_channel_layer()
        while True:
            group, message = await self.queue.get()
            try:
                await layer.group_send(group, message)
            except Exception:
                logger.warning("could not publish %s to %s", message.get("type"), group)


_outbox = _Outbox()


def bind_loop(loop: asyncio.AbstractEventLoop) -> None:
    """The server's event loop (``supportbot.asgi`` binds it on every connection)."""
    _outbox.bind(loop)


def _send_via_layer(group: str, message: dict[str, Any]) -> None:
    if _outbox.accepts():
        _outbox.put(group, message)
    else:  # a worker, a management command: no server loop to hand it to
        async_to_sync(get_channel_layer().group_send)(group, message)


def publish(group: str, message: dict[str, Any]) -> None:
    """Send now, best effort: a socket that missed a frame catches up on resume."""
    try:
        (_publisher.get() or _send_via_layer)(group, message)
    except Exception:
        logger.warning("could not publish %s to %s", message.get("type"), group, exc_info=True)


def publish_on_commit(group: str, message: dict[str, Any] | Callable[[], dict[str, Any]]) -> None:
    """Send when the current transaction commits (at once outside a transaction).
    ``message`` may be a function, called after commit, for a frame that reads what the
    rest of the transaction wrote."""
    publisher = _publisher.get()

    def send() -> None:
        # The callback may run after the caller's context is gone; keep its publisher.
        token = _publisher.set(publisher)
        try:
            publish(group, message() if callable(message) else message)
        except Exception:
            logger.warning("could not build a frame for %s", group, exc_info=True)
        finally:
            _publisher.reset(token)

    transaction.on_commit(send)


def to_customers_on_commit(
    public_id: str, frame: dict[str, Any], *, exclude: str | None = None
) -> None:
    """A frame for every socket of the conversation, after commit."""
    publish_on_commit(group_name(public_id), frame_message(frame, exclude))


@contextlib.contextmanager
def publishing_through(publisher: Publisher | None) -> Iterator[None]:
    """Route this context's publishing through ``publisher`` (e.g. a worker's own loop;
    None: the default way)."""
    token = _publisher.set(publisher)
    try:
        yield
    finally:
        _publisher.reset(token)


async def send_now(group: str, message: dict[str, Any]) -> None:
    """Send at once from async code, best effort: for what is never stored (typing)."""
    try:
        await get_channel_layer().group_send(group, message)
    except Exception:
        logger.warning("could not send %s to %s", message.get("type"), group, exc_info=True)
