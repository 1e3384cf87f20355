"""The continuous-batching engine: one decode loop that every chat shares.

Callers on any thread ``submit`` a request with a callback and may ``abort`` it. A single
engine thread owns the model, the tokenizer and the scheduler; each ``step`` admits waiting
requests into the running batch, decodes one token for every running sequence and calls the
callbacks with the text that became visible. Callbacks run on the engine thread and must be
quick (hand the event to another thread or event loop).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from inference_worker.config import EngineConfig
from inference_worker.detokenizer import IncrementalDetokenizer, StopStringFilter
from inference_worker.model_runner import ModelRunner
from inference_worker.scheduler import QueueFull, Scheduler
from inference_worker.sequence import FinishReason, GenerationRequest, Sequence, StreamEvent

logger = logging.getLogger(__name__)

EventCallback = Callable[[StreamEvent], None]

__all__ = ["Engine", "EngineStats", "QueueFull", "stream_events"]


def stream_events(
    submit: Callable[[GenerationRequest, EventCallback], None],
    request: GenerationRequest,
    timeout: float = 300.0,
) -> Iterator[StreamEvent]:
    """Submit through ``submit`` (an engine's callback API) and yield the request's events in
    the calling thread, up to and including the final one."""
    events: queue.SimpleQueue[StreamEvent] = queue.SimpleQueue()
    submit(request, events.put)
    while True:
        event = events.get(timeout=timeout)
        yield event
        if event.done:
            return


@dataclass(slots=True)
class EngineStats:
    waiting: int
    running: int
    steps: int
    generated_tokens: int


class Engine:
    def __init__(
        self,
        runner: ModelRunner,
        config: EngineConfig,
        eos_token_ids: set[int],
        *,
        is_instruct: bool = True,
    ) -> None:
        self.runner = runner
        self.is_instruct = is_instruct
        self.config = config
        self.eos_token_ids = frozenset(eos_token_ids)
        self.scheduler = Scheduler(
            max_batch_size=config.max_batch_size,
            max_waiting=config.max_waiting,
            max_prefill_tokens=config.max_prefill_tokens,
        )
        self._lock = threading.Lock()
        self._incoming: list[tuple[GenerationRequest, EventCallback, float]] = []
        self._aborts: set[str] = set()
        self._callbacks: dict[str, EventCallback] = {}
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.steps = 0
        self.generated_tokens = 0
        # Set by from_config: what was loaded, for the worker's start-up log.
        self.is_moe: bool | None = None
        self.quantization_report = None

    @classmethod
    def from_config(cls, config: EngineConfig) -> Engine:
        from inference_worker.loader import load_model

        loaded = load_model(config.model, device=config.device, quantization=config.quantization)
        runner = ModelRunner(loaded.model, loaded.tokenizer, config.sampling, seed=config.seed)
        engine = cls(runner, config, set(loaded.eos_token_ids), is_instruct=loaded.is_instruct)
        engine.is_moe = loaded.is_moe
        engine.quantization_report = loaded.quantization
        return engine

    @property
    def tokenizer(self):
        return self.runner.tokenizer

    # -- the caller's side (any thread) -------------------------------------------------

    def submit(self, request: GenerationRequest, on_event: EventCallback) -> None:
        """Queue a request. Raises ``QueueFull`` when ``max_waiting`` requests already wait."""
        with self._lock:
            pending = len(self._incoming) + self.scheduler.num_waiting
            if pending >= self.config.max_waiting:
                raise QueueFull(f"{pending} requests already waiting")
            self._incoming.append((request, on_event, time.time()))
        self._wakeup.set()

    def abort(self, request_id: str) -> None:
        """Stop a request at the next step; its callback receives a final ``abort`` event."""
        with self._lock:
            self._aborts.add(request_id)
        self._wakeup.set()

    def stream(self, request: GenerationRequest, timeout: float = 300.0) -> Iterator[StreamEvent]:
        """Submit and iterate the events from the calling thread (needs a running engine)."""
        return stream_events(self.submit, request, timeout)

    def stats(self) -> EngineStats:
        with self._lock:
            waiting = self.scheduler.num_waiting + len(self._incoming)
        return EngineStats(waiting, self.scheduler.num_running, self.steps, self.generated_tokens)

    # -- the engine thread -------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="supportbot-engine", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Abort everything in flight (callers get ``abort`` events) and end the thread."""
        self._stopping.set()
        self._wakeup.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = self.step()
            except Exception:
                # A bug outside the model call (bad prompt, callback bookkeeping) must not
                # end the loop every chat depends on; the failed requests are told.
                logger.exception("engine step failed outside the model call")
                self._fail_running()
                busy = True
            if not busy:
                self._wakeup.wait(timeout=0.5)
                self._wakeup.clear()
        self._abort_everything()

    def step(self) -> bool:
        """Advance every request by one token. Returns False when there was nothing to do."""
        self._admit_incoming()
        self._apply_aborts()
        with self._lock:
            plan = self.scheduler.schedule()
        if plan.is_empty:
            return False
        try:
            new_tokens = self.runner.prefill(plan.prefill) if plan.prefill else []
            old_tokens = self.runner.decode(plan.decode) if plan.decode else []
            if plan.prefill:
                self.runner.commit_prefill()
        except Exception:
            logger.exception("engine step failed; failing %d requests", self.scheduler.num_running)
            self._fail_running()
            return True
        self.steps += 1
        finished: list[Sequence] = []
        for seq, token in zip(plan.decode + plan.prefill, old_tokens + new_tokens, strict=True):
            self.generated_tokens += 1
            visible = seq.append_token(token)
            if visible:
                self._emit(seq, seq.delta_event(visible))
            if seq.finish_reason is not None:
                finished.append(seq)
        self._retire(finished)
        return True

    def _admit_incoming(self) -> None:
        with self._lock:
            incoming, self._incoming = self._incoming, []
        budget = self.config.max_context_tokens
        for request, callback, submitted_at in incoming:
            max_new = min(request.max_new_tokens or self.config.max_new_tokens, budget - 1)
            try:
                prompt_ids = self.runner.encode(request.prompt, budget - max_new)
                if not prompt_ids:
                    raise ValueError("the prompt encodes to no tokens")
            except Exception:
                logger.exception(
                    "request %s refused: its prompt cannot be encoded", request.request_id
                )
                self._refuse(request, callback, submitted_at)
                continue
            seq = Sequence(
                request=request,
                prompt_ids=prompt_ids,
                max_new_tokens=max_new,
                detokenizer=IncrementalDetokenizer(self.runner.tokenizer, prompt_ids),
                stop_filter=StopStringFilter(request.stop_strings),
                eos_token_ids=self.eos_token_ids,
                submitted_at=submitted_at,
            )
            self._callbacks[request.request_id] = callback
            with self._lock:
                self.scheduler.waiting.append(seq)

    def _refuse(
        self, request: GenerationRequest, callback: EventCallback, submitted_at: float
    ) -> None:
        now = time.time()
        event = StreamEvent(
            request.request_id,
            "",
            done=True,
            finish_reason=FinishReason.ERROR,
            submitted_at=submitted_at,
            finished_at=now,
        )
        try:
            callback(event)
        except Exception:
            logger.exception("stream callback failed for %s", request.request_id)

    def _apply_aborts(self) -> None:
        with self._lock:
            aborts, self._aborts = self._aborts, set()
            if not aborts:
                return
            aborted_waiting = self.scheduler.abort_waiting(aborts)
        for seq in aborted_waiting:
            self._emit(seq, seq.done_event())
            self._callbacks.pop(seq.request_id, None)
        running = [s for s in self.scheduler.running if s.request_id in aborts]
        for seq in running:
            seq.finish_reason = FinishReason.ABORT
        self._retire(running)

    def _retire(self, finished: list[Sequence]) -> None:
        if not finished:
            return
        with self._lock:
            rows = self.scheduler.finish(finished)
        try:
            self.runner.remove_rows(rows)
        finally:
            # They are out of the scheduler either way: tell their callers, or nobody will.
            for seq in finished:
                self._emit(seq, seq.done_event())
                self._callbacks.pop(seq.request_id, None)

    def _fail_running(self) -> None:
        failed = list(self.scheduler.running)
        for seq in failed:
            seq.finish_reason = FinishReason.ERROR
        with self._lock:
            self.scheduler.finish(failed)
        self.runner.reset()
        for seq in failed:
            self._emit(seq, seq.done_event())
            self._callbacks.pop(seq.request_id, None)

    def _abort_everything(self) -> None:
        self._admit_incoming()
        with self._lock:
            self._aborts.update(s.request_id for s in self.scheduler.waiting)
            self._aborts.update(s.request_id for s in self.scheduler.running)
        self._apply_aborts()

    def _emit(self, seq: Sequence, event: StreamEvent) -> None:
        callback = self._callbacks.get(seq.request_id)
        if callback is None:
            return
        try:
            callback(event)
        except Exception:
            logger.exception("stream callback failed for %s", seq.request_id)
