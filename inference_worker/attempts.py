"""A runtime's side of counting generations: a reply whose generations kill the worker is
given up, and one that only died in company is not.

The sink counts in the web app's database (``supportbot.serving.attempts``), where every
delivery of a job sees the count. A worker killed from outside (out of memory, a node
drained, an operator) takes its whole batch down, and a count that blamed each generation
for that death gave ordinary replies up after a few such kills. So a generation whose
earlier attempt died runs alone (``SoloGate``): a death then is its own, and is *blamed*.
The sink gives a reply up once it died ``limit`` times, all but the first of them alone.

A runtime that does not isolate (the embedded engine, where a dying worker is the web
process itself and a wait would hold up a customer's message) blames every death, as
before.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

from inference_worker.jobs import ReplyJob
from inference_worker.solo_gate import SoloGate

logger = logging.getLogger(__name__)


class AttemptSink(Protocol):
    """The counting part of a ``ReplySink``; a sink without it keeps no count."""

    def lost_generations(self, job: ReplyJob) -> int:
        """How many earlier generations of ``job``'s reply started and never ended."""

    def begin_attempt(self, job: ReplyJob, *, blamed: bool) -> bool:
        """Count one more generation of ``job``'s reply before the engine sees the prompt;
        ``blamed``: should it never end, the death is its own. False: the reply is given up
        (the sink has recorded the failure once, told the customer and ended its records)."""

    def end_attempt(self, job: ReplyJob, *, blamed: bool) -> None:
        """The generation counted by ``begin_attempt`` ended, however (its worker lived)."""


class SuspectWaited(Exception):
    """No turn on the engine came within the wait (a suspect holds it, or waits for it)."""


@dataclass(slots=True)
class Attempt:
    """One admitted generation: what to undo when it ends."""

    job: ReplyJob
    counted: bool
    alone: bool
    blamed: bool
    _open: bool = field(default=True, repr=False)


class AttemptCounter:
    def __init__(self, sink: object, *, isolate: bool, wait_s: float) -> None:
        self.sink = sink
        self.isolate = isolate
        self.wait_s = wait_s
        self.gate = SoloGate()

    @property
    def counts(self) -> bool:
        return hasattr(self.sink, "begin_attempt")

    def begin(self, job: ReplyJob) -> Attempt | None:
        """Admit and count a generation of ``job``; None: the reply is given up.

        Counting fails open: a database hiccup must not stop replies, so such a generation
        is simply not counted. Raises ``SuspectWaited`` when no turn came in time."""
        if not self.counts:
            return Attempt(job, counted=False, alone=False, blamed=False)
        suspect = self.isolate and self._lost_before(job)
        if suspect:
            logger.info("%s died with its worker before; it runs alone now", job.request_id)
        if not self.gate.enter(alone=suspect, timeout=self.wait_s):
            raise SuspectWaited(f"{job.request_id} found no turn in {self.wait_s:.0f} s")
        blamed = suspect or not self.isolate
        try:
            allowed = self.sink.begin_attempt(job, blamed=blamed)
        except Exception:
            logger.exception("counting the attempt at %s failed", job.request_id)
            return Attempt(job, counted=False, alone=suspect, blamed=blamed)
        if not allowed:
            self.gate.leave(alone=suspect)
            logger.error("%s gave up: its generations kept dying with it", job.request_id)
            return None
        return Attempt(job, counted=True, alone=suspect, blamed=blamed)

    def end(self, attempt: Attempt | None) -> None:
        """The generation is over (safe to call twice)."""
        if attempt is None or not attempt._open:
            return
        attempt._open = False
        if self.counts:
            self.gate.leave(alone=attempt.alone)
        if not attempt.counted:
            return
        try:
            self.sink.end_attempt(attempt.job, blamed=attempt.blamed)
        except Exception:
            logger.exception("ending the attempt at %s failed", attempt.job.request_id)

    def _lost_before(self, job: ReplyJob) -> bool:
        try:
            return self.sink.lost_generations(job) > 0
        except Exception:
            logger.exception("reading the attempts at %s failed", job.request_id)
            return False
