"""Let a suspect generation have the engine to itself, so that if it dies it dies alone.

A worker process that dies takes every generation in its batch with it, so one death says
nothing about which of them caused it. A generation whose earlier attempt died is a suspect;
it runs with no other reply generation in the process: if the process dies now, the death
is its own (``inference_worker.attempts``). Ordinary generations share the engine freely.

A readers-writer lock that prefers the writer: once a suspect waits, new generations wait
behind it, so a busy worker cannot starve it; it starts when the batch in flight drains.
"""

from __future__ import annotations

import threading
from typing import NamedTuple


class GateState(NamedTuple):
    sharing: int  # ordinary generations admitted
    alone: bool  # a suspect runs
    waiting_alone: int  # suspects waiting for their turn


class SoloGate:
    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._sharing = 0
        self._alone = False
        self._waiting_alone = 0

    def enter(self, *, alone: bool, timeout: float | None = None) -> bool:
        """Wait until this generation may run (``alone``: with no other); False if
        ``timeout`` seconds passed first, and nothing was taken."""
        with self._changed:
            if not alone:
                if not self._changed.wait_for(self._may_share, timeout):
                    return False
                self._sharing += 1
                return True
            self._waiting_alone += 1
            try:
                if not self._changed.wait_for(self._may_run_alone, timeout):
                    return False
                self._alone = True
                return True
            finally:
                self._waiting_alone -= 1
                # A suspect that gave up waiting lets the ordinary generations in again.
                self._changed.notify_all()

    def leave(self, *, alone: bool) -> None:
        """The generation admitted by ``enter(alone=alone)`` is over."""
        with self._changed:
            if alone:
                self._alone = False
            else:
                self._sharing -= 1
            self._changed.notify_all()

    def _may_share(self) -> bool:
        return not self._alone and self._waiting_alone == 0

    def _may_run_alone(self) -> bool:
        return not self._alone and self._sharing == 0

    def state(self) -> GateState:
        with self._changed:
            return GateState(self._sharing, self._alone, self._waiting_alone)
