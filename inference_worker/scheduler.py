"""Which sequences run at the next step. Pure bookkeeping: no torch, no model.

The contract (after vLLM's scheduler interface): ``add`` queues a sequence, ``schedule``
returns the sequences to prefill now (they join the running batch at this step), and the
engine reports finished or aborted sequences back through ``finish``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from inference_worker.sequence import FinishReason, Sequence, SequenceStatus


class QueueFull(Exception):
    """The waiting queue is at its bound; the caller should tell the customer we are busy."""


@dataclass(slots=True)
class SchedulerOutput:
    prefill: list[Sequence]
    decode: list[Sequence]

    @property
    def is_empty(self) -> bool:
        return not self.prefill and not self.decode


class Scheduler:
    def __init__(self, *, max_batch_size: int, max_waiting: int, max_prefill_tokens: int) -> None:
        self.max_batch_size = max_batch_size
        self.max_waiting = max_waiting
        self.max_prefill_tokens = max_prefill_tokens
        self.waiting: deque[Sequence] = deque()
        self.running: list[Sequence] = []

    def add(self, seq: Sequence) -> None:
        if len(self.waiting) >= self.max_waiting:
            raise QueueFull(f"{len(self.waiting)} requests already waiting")
        self.waiting.append(seq)

    def has_work(self) -> bool:
        return bool(self.waiting or self.running)

    def schedule(self) -> SchedulerOutput:
        """Admit waiting sequences while the batch has room, oldest first.

        Sequences already running decode one token each; newcomers are prefilled in the
        same step so they never wait for the running ones to finish (continuous batching).
        """
        decode = list(self.running)
        prefill: list[Sequence] = []
        budget = self.max_prefill_tokens
        while self.waiting and len(self.running) < self.max_batch_size:
            seq = self.waiting[0]
            # Always admit one, even a long prompt, so nothing starves.
            if prefill and seq.num_prompt_tokens > budget:
                break
            self.waiting.popleft()
            budget -= seq.num_prompt_tokens
            seq.status = SequenceStatus.RUNNING
            seq.scheduled_at = time.time()
            self.running.append(seq)
            prefill.append(seq)
        return SchedulerOutput(prefill=prefill, decode=decode)

    def finish(self, seqs: Iterable[Sequence], reason: FinishReason | None = None) -> list[int]:
        """Remove finished sequences; return their former row indices in ``running``."""
        done = {id(s) for s in seqs}
        rows = [i for i, s in enumerate(self.running) if id(s) in done]
        for seq in seqs:
            seq.finish(reason or seq.finish_reason or FinishReason.STOP)
        self.running = [s for s in self.running if id(s) not in done]
        return rows

    def abort_waiting(self, request_ids: set[str]) -> list[Sequence]:
        aborted = [s for s in self.waiting if s.request_id in request_ids]
        if aborted:
            self.waiting = deque(s for s in self.waiting if s.request_id not in request_ids)
            for seq in aborted:
                seq.finish(FinishReason.ABORT)
        return aborted

    @property
    def num_waiting(self) -> int:
        return len(self.waiting)

    @property
    def num_running(self) -> int:
        return len(self.running)
