"""Getting a reply generated: the dispatcher the deployment chose, and the shared pieces.

Two dispatchers with one interface: ``InProcessDispatcher`` (the embedded default: the
engine on a thread of the web process) and ``CeleryDispatcher`` (production: GPU workers
behind the broker). Consumers call ``get_dispatcher()`` and never know which one runs.
"""

from __future__ import annotations

import threading
from typing import Protocol

from channels.layers import get_channel_layer
from django.conf import settings

from inference_worker.jobs import ReplyJob
from supportbot.chat import frames

FRAME_EVENT = "conversation.frame"


class DispatchError(Exception):
    """The reply could not be queued. ``code`` is ``busy`` or ``unavailable``."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class Dispatcher(Protocol):
    async def dispatch(self, job: ReplyJob) -> None:
        """Queue ``job`` once (a job already queued, generating or answered is ignored);
        raise ``DispatchError`` when it cannot be queued."""

    def preload(self) -> None:
        """Get ready to answer (load a model) before the first customer arrives."""

    def customer_joined(self, conversation: str) -> None: ...

    def customer_left(self, conversation: str) -> None: ...

    def shutdown(self) -> None: ...


def job_marker_key(request_id: str) -> str:
    """Cache key saying "a job for this reply is queued or running" (set by the web,
    cleared by the worker that stores the reply)."""
    return f"supportbot:job:{request_id}"


async def send_to_conversation(conversation: str, frame: dict, exclude: str | None = None) -> None:
    await get_channel_layer().group_send(
        frames.group_name(conversation), {"type": FRAME_EVENT, "frame": frame, "exclude": exclude}
    )


_dispatcher: Dispatcher | None = None
_dispatcher_lock = threading.Lock()


def get_dispatcher() -> Dispatcher:
    global _dispatcher
    with _dispatcher_lock:
        if _dispatcher is None:
            if settings.SUPPORTBOT["ENGINE"] == "celery":
                from supportbot.chat.celery_dispatch import CeleryDispatcher

                _dispatcher = CeleryDispatcher()
            else:
                from supportbot.chat.inprocess import InProcessDispatcher

                _dispatcher = InProcessDispatcher()
        return _dispatcher


def reset_dispatcher() -> None:
    """Shut the current dispatcher down; the next ``get_dispatcher()`` builds a new one."""
    global _dispatcher
    with _dispatcher_lock:
        if _dispatcher is not None:
            _dispatcher.shutdown()
            _dispatcher = None
