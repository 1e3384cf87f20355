"""Getting a reply generated, as the chat sees it: one interface, chosen in settings.

The chat never imports the serving side. ``SUPPORTBOT["DISPATCHER"]`` names the class (an
import path, like Django's backends): ``supportbot.serving.inprocess.InProcessDispatcher``
(the embedded default) or ``supportbot.serving.celery_dispatch.CeleryDispatcher``
(production). Consumers call ``get_dispatcher()`` and never know which one runs.
"""

from __future__ import annotations

import threading
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from inference_worker.jobs import ReplyJob


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


_dispatcher: Dispatcher | None = None
_dispatcher_lock = threading.Lock()


def get_dispatcher() -> Dispatcher:
    global _dispatcher
    with _dispatcher_lock:
        if _dispatcher is None:
            _dispatcher = import_string(settings.SUPPORTBOT["DISPATCHER"])()
        return _dispatcher


def reset_dispatcher() -> None:
    """Shut the current dispatcher down; the next ``get_dispatcher()`` builds a new one."""
    global _dispatcher
    with _dispatcher_lock:
        if _dispatcher is not None:
            _dispatcher.shutdown()
            _dispatcher = None
