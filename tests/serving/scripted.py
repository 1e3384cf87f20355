"""A stand-in for the model's words: an engine whose replies are scripted text.

Everything around it is real (the runtime, the output guard, the store, the channel layer,
the sockets); only which tokens the model would have produced is fixed, so the guard and
hand-over paths can be driven deterministically. Same surface as ``inference_worker.Engine``.
"""

from __future__ import annotations

import threading
import time

from inference_worker.engine import EngineStats, stream_events
from inference_worker.sequence import FinishReason, GenerationRequest, StreamEvent


class ScriptedEngine:
    is_instruct = True
    is_moe = False
    quantization_report = None

    def __init__(self, tokenizer, pieces: list[str], *, delay_s: float = 0.0) -> None:
        self.tokenizer = tokenizer
        self.pieces = pieces
        self.delay_s = delay_s
        self.submitted: list[GenerationRequest] = []
        self._aborted: set[str] = set()
        self._lock = threading.Lock()

    def submit(self, request: GenerationRequest, on_event) -> None:
        self.submitted.append(request)
        threading.Thread(target=self._play, args=(request, on_event), daemon=True).start()

    def stream(self, request: GenerationRequest, timeout: float = 300.0):
        """Submit and iterate the events from the calling thread, as ``Engine.stream``."""
        return stream_events(self.submit, request, timeout)

    def abort(self, request_id: str) -> None:
        with self._lock:
            self._aborted.add(request_id)

    def stats(self) -> EngineStats:
        return EngineStats(0, 0, 0, 0)

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 10.0) -> None:
        pass

    def _play(self, request: GenerationRequest, on_event) -> None:
        started = time.time()
        prompt_tokens = len(self.tokenizer(request.prompt)["input_ids"])
        text = ""
        for count, piece in enumerate(self.pieces, 1):
            time.sleep(self.delay_s)
            with self._lock:
                aborted = request.request_id in self._aborted
            if aborted:
                final = self._final(request, text, FinishReason.ABORT, count - 1, started)
                on_event(final)
                return
            text += piece
            on_event(StreamEvent(request.request_id, piece, num_tokens=count))
        final = self._final(request, text.strip(), FinishReason.STOP, len(self.pieces), started)
        final.prompt_tokens = prompt_tokens
        on_event(final)

    @staticmethod
    def _final(request, text, reason, tokens, started) -> StreamEvent:
        return StreamEvent(
            request.request_id, text, done=True, finish_reason=reason, num_tokens=tokens,
            submitted_at=started, scheduled_at=started, first_token_at=started,
            finished_at=time.time(),
        )  # fmt: skip
