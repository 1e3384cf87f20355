"""Requests, their life cycle and the events they stream. No torch here."""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass, field

from inference_worker.detokenizer import IncrementalDetokenizer, StopStringFilter


class SequenceStatus(enum.Enum):
    WAITING = "waiting"
    RUNNING = "running"
    FINISHED = "finished"


class FinishReason(enum.StrEnum):
    STOP = "stop"  # end-of-turn token or stop string
    LENGTH = "length"  # max_new_tokens or the context limit
    ABORT = "abort"  # the caller cancelled (the customer left)
    ERROR = "error"  # the engine failed while running it


@dataclass(slots=True)
class GenerationRequest:
    """What a caller asks the engine for; ``prompt`` is already rendered text."""

    request_id: str
    prompt: str
    max_new_tokens: int | None = None
    stop_strings: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.request_id:
            raise ValueError("request_id must not be empty")
        if self.max_new_tokens is not None and self.max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be >= 1, got {self.max_new_tokens}")


@dataclass(slots=True)
class StreamEvent:
    """One increment of a reply. ``done`` events carry the whole text and the timings."""

    request_id: str
    text: str
    done: bool = False
    finish_reason: FinishReason | None = None
    num_tokens: int = 0
    submitted_at: float = 0.0
    scheduled_at: float | None = None
    first_token_at: float | None = None
    finished_at: float | None = None
    prompt_tokens: int = 0  # on ``done`` events: the prompt's length after truncation
    # On ``done`` events from a relay: when its first text went out to the customer (after
    # the output guard and coalescing), the time to first token they saw.
    first_delivered_at: float | None = None


@dataclass(slots=True, eq=False)
class Sequence:
    """A request inside the engine: its tokens, its text so far, and its timings.

    Times are wall-clock (``time.time()``) so they can be stored as timestamps and
    compared across processes.
    """

    request: GenerationRequest
    prompt_ids: list[int]
    max_new_tokens: int
    detokenizer: IncrementalDetokenizer
    stop_filter: StopStringFilter
    eos_token_ids: frozenset[int]
    status: SequenceStatus = SequenceStatus.WAITING
    finish_reason: FinishReason | None = None
    output_ids: list[int] = field(default_factory=list)
    text: str = ""
    submitted_at: float = field(default_factory=time.time)
    scheduled_at: float | None = None
    first_token_at: float | None = None
    finished_at: float | None = None

    @property
    def request_id(self) -> str:
        return self.request.request_id

    @property
    def num_prompt_tokens(self) -> int:
        return len(self.prompt_ids)

    @property
    def is_finished(self) -> bool:
        return self.status is SequenceStatus.FINISHED

    @property
    def last_token_id(self) -> int:
        return self.output_ids[-1] if self.output_ids else self.prompt_ids[-1]

    def all_token_ids(self) -> list[int]:
        return self.prompt_ids + self.output_ids

    def append_token(self, token_id: int) -> str:
        """Add one generated token; return the text it makes visible (may be empty).

        Sets ``finish_reason`` when the token ends the turn, completes a stop string or
        reaches the length bound. Text after a stop string is never released.
        """
        self.output_ids.append(token_id)
        if token_id in self.eos_token_ids:
            self.finish_reason = FinishReason.STOP
            return self._release(self.stop_filter.flush())
        piece = self.detokenizer.add(token_id)
        visible, stopped = self.stop_filter.feed(piece)
        if stopped:
            self.finish_reason = FinishReason.STOP
            return self._release(visible)
        if len(self.output_ids) >= self.max_new_tokens:
            self.finish_reason = FinishReason.LENGTH
            visible += self.stop_filter.feed(self.detokenizer.flush())[0]
            visible += self.stop_filter.flush()
        return self._release(visible)

    def _release(self, visible: str) -> str:
        if visible and self.first_token_at is None:
            self.first_token_at = time.time()
        self.text += visible
        return visible

    def finish(self, reason: FinishReason) -> None:
        if self.finish_reason is None:
            self.finish_reason = reason
        self.status = SequenceStatus.FINISHED
        self.finished_at = time.time()

    def delta_event(self, text: str) -> StreamEvent:
        return StreamEvent(self.request_id, text, num_tokens=len(self.output_ids))

    def done_event(self) -> StreamEvent:
        return StreamEvent(
            request_id=self.request_id,
            text=self.text.strip(),
            done=True,
            finish_reason=self.finish_reason,
            num_tokens=len(self.output_ids),
            submitted_at=self.submitted_at,
            scheduled_at=self.scheduled_at,
            first_token_at=self.first_token_at,
            finished_at=self.finished_at,
            prompt_tokens=len(self.prompt_ids),
        )
