"""Loading what the first customer would otherwise wait for, while the web process starts,
and knowing when that is done (``/readyz``).

The in-process engine's model, the safety filter, the knowledge index and the detectors'
example banks all load on first use. Loaded then, they hold the first messages for seconds
(a minute on a busy machine): a reading waits for the thread that is still embedding a bank.
``SUPPORTBOT_PRELOAD=1`` loads them in background threads instead; the server answers
``/healthz`` at once and ``/readyz`` once they are loaded, so a load balancer sends customers
only to a warm process.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)

__all__ = ["Warmup", "WarmupState", "current", "start"]


@dataclass(frozen=True, slots=True)
class WarmupState:
    pending: tuple[str, ...]  # steps still loading
    failed: tuple[str, ...]  # steps that raised: those parts load on first use instead

    @property
    def ready(self) -> bool:
        return not self.pending


class Warmup:
    """Named steps, each run once in its own daemon thread; their state, thread-safely."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: set[str] = set()
        self._pending: set[str] = set()
        self._failed: set[str] = set()

    def run(self, name: str, step: Callable[[], object]) -> None:
        """Start ``step`` in the background unless a step of that name was started already."""
        with self._lock:
            if name in self._started:
                return
            self._started.add(name)
            self._pending.add(name)
        threading.Thread(
            target=self._run, args=(name, step), name=f"warmup-{name}", daemon=True
        ).start()

    def _run(self, name: str, step: Callable[[], object]) -> None:
        began = time.monotonic()
        failed = False
        try:
            step()
        except Exception:
            failed = True
            logger.exception("warm-up %s failed; it loads on first use instead", name)
        finally:
            with self._lock:
                self._pending.discard(name)
                if failed:
                    self._failed.add(name)
        if not failed:
            logger.info("warm-up %s done in %.1f s", name, time.monotonic() - began)

    def state(self) -> WarmupState:
        with self._lock:
            return WarmupState(tuple(sorted(self._pending)), tuple(sorted(self._failed)))


_current = Warmup()


def current() -> Warmup:
    """This process's warm-up (nothing started unless ``start`` was called: then ready)."""
    return _current


def load_model() -> None:
    from supportbot.chat.dispatching import get_dispatcher

    get_dispatcher().preload()


def load_filters() -> None:
    from django.db import connections

    from supportbot.detectors.bot_handover import bot_cannot_help
    from supportbot.detectors.human_request import asks_for_human
    from supportbot.detectors.sentiment import strongly_negative
    from supportbot.knowledge.search import current_index
    from supportbot.safety.screening import warm_up

    try:
        warm_up()
        current_index()  # embedded on first use (about a second for the demo articles)
        # The detectors' example banks are embedded on first use (seconds each).
        asks_for_human("hello")
        strongly_negative("hello")
        bot_cannot_help("hello")
    finally:
        connections.close_all()  # this thread's, opened by the index; it ends here


def start() -> None:
    """Load the model (in-process engine; nothing with Celery workers) and the filters."""
    _current.run("model", load_model)
    _current.run("filters", load_filters)
