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


def _send_via_layer(group: str, message: dict[str, Any]) -> None:
    async_to_sync(get_channel_layer().group_send)(group, message)


def publish(group: str, message: dict[str, Any]) -> None:
    """Send now, best effort: a socket that missed a frame catches up on resume."""
    try:
        (_publisher.get() or _send_via_layer)(group, message)
    except Exception:
        logger.warning("could not publish %s to %s", message.get("type"), group, exc_info=True)


def publish_on_commit(group: str, message: dict[str, Any]) -> None:
    """Send when the current transaction commits (at once outside a transaction)."""
    publisher = _publisher.get()

    def send() -> None:
        # The callback may run after the caller's context is gone; keep its publisher.
        token = _publisher.set(publisher)
        try:
            publish(group, message)
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
