"""A reply that died with its worker's batch is tried again alone; only its own deaths count.

The runtime as a Celery worker builds it (``isolate_suspects``) over the real Django sink and
database; the engine is scripted so its timing is known. A death is a generation counted
that never ends, which is what a killed worker leaves behind. The real Celery workers that
kill themselves are in ``tests/workers/test_poison_jobs.py``.
"""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from inference_worker.serving import ServeResult, WorkerRuntime
from inference_worker.solo_gate import GateState
from supportbot.chat import services
from supportbot.chat.models import ConversationEvent
from supportbot.chat.replies import ATTEMPTS_EXHAUSTED
from supportbot.serving import attempts
from supportbot.serving.models import ReplyAttempt
from supportbot.serving.worker_adapter import DjangoReplySink
from tests.serving.scripted import ScriptedEngine

pytestmark = pytest.mark.django_db(transaction=True)

LIMIT = 3  # SUPPORTBOT_MAX_REPLY_ATTEMPTS's default, which these tests run with


class GateWatchingEngine(ScriptedEngine):
    """Notes what the runtime's gate looked like as each request reached the engine."""

    def __init__(self, tokenizer, *, delay_s: float) -> None:
        super().__init__(tokenizer, ["We", " ship", " to", " Norway", "."], delay_s=delay_s)
        self.gate = None
        self.seen: list[tuple[str, GateState]] = []

    def submit(self, request, on_event) -> None:
        self.seen.append((request.request_id, self.gate.state()))
        super().submit(request, on_event)


def runtime_for(engine: GateWatchingEngine, *, isolate: bool) -> WorkerRuntime:
    runtime = WorkerRuntime(
        engine,
        DjangoReplySink(),
        worker="test-worker",
        variant="default",
        coalesce_s=0.03,
        job_timeout_s=30,
        isolate_suspects=isolate,
    )
    engine.gate = runtime.attempts.gate
    return runtime


def ask(conversation_factory, visitor: str):
    conversation, _token = conversation_factory(visitor=visitor)
    result = services.receive_customer_message(
        conversation.pk, client_id=uuid.uuid4(), text="Do you ship to Norway?"
    )
    return result.job


def counts(job) -> tuple[int, int, int, int]:
    row = ReplyAttempt.objects.get(reply_to_id=job.reply_to_id)
    return row.started, row.ended, row.blamed_started, row.blamed_ended


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_deaths_in_company_never_give_a_reply_up(conversation_factory):
    job = ask(conversation_factory, "v1")
    for _ in range(LIMIT + 2):
        assert attempts.begin(job.reply_to_id, LIMIT, blamed=False)
    assert attempts.unfinished(job.reply_to_id) == LIMIT + 2


def test_a_reply_is_given_up_after_n_deaths_all_but_the_first_alone(conversation_factory):
    job = ask(conversation_factory, "v1")
    assert attempts.begin(job.reply_to_id, LIMIT, blamed=False)
    assert attempts.begin(job.reply_to_id, LIMIT, blamed=True)
    assert attempts.begin(job.reply_to_id, LIMIT, blamed=True)
    assert not attempts.begin(job.reply_to_id, LIMIT, blamed=True)
    assert not attempts.begin(job.reply_to_id, LIMIT, blamed=False)
    assert counts(job) == (3, 0, 2, 0)


def test_a_generation_that_ends_is_no_death(conversation_factory):
    job = ask(conversation_factory, "v1")
    assert attempts.begin(job.reply_to_id, LIMIT, blamed=False)
    for _ in range(LIMIT + 1):
        assert attempts.begin(job.reply_to_id, LIMIT, blamed=True)
        attempts.end(job.reply_to_id, blamed=True)
    assert counts(job) == (LIMIT + 2, LIMIT + 1, LIMIT + 1, LIMIT + 1)
    assert attempts.unfinished(job.reply_to_id) == 1


def test_a_reply_that_died_with_its_batch_runs_alone_and_is_answered(
    tiny_moe, conversation_factory
):
    engine = GateWatchingEngine(tiny_moe.tokenizer, delay_s=0.15)
    runtime = runtime_for(engine, isolate=True)
    ordinary, suspect, latecomer = (ask(conversation_factory, f"v{i}") for i in range(3))
    # Its last generation was in a batch whose worker was killed.
    attempts.begin(suspect.reply_to_id, LIMIT, blamed=False)
    try:
        with ThreadPoolExecutor(3) as pool:
            first = pool.submit(runtime.serve, ordinary)
            wait_until(lambda: len(engine.seen) == 1)
            second = pool.submit(runtime.serve, suspect, redelivered=True)
            wait_until(lambda: runtime.attempts.gate.state().waiting_alone == 1)
            third = pool.submit(runtime.serve, latecomer)
            results = [future.result(timeout=60) for future in (first, second, third)]
    finally:
        runtime.close()
    assert results == [ServeResult.REPLIED] * 3
    # The suspect waited for the batch to drain, ran with no other, and the latecomer that
    # arrived while it waited went after it.
    assert [request_id for request_id, _ in engine.seen] == [
        ordinary.request_id,
        suspect.request_id,
        latecomer.request_id,
    ]
    assert engine.seen[0][1] == GateState(sharing=1, alone=False, waiting_alone=0)
    assert engine.seen[1][1] == GateState(sharing=0, alone=True, waiting_alone=0)
    assert engine.seen[2][1] == GateState(sharing=1, alone=False, waiting_alone=0)
    assert counts(suspect) == (2, 1, 1, 1)
    assert counts(ordinary) == (1, 1, 0, 0)
    assert runtime.metrics.isolated._value.get() == 1


def test_a_reply_that_kept_dying_alone_is_given_up_without_running(tiny_moe, conversation_factory):
    engine = GateWatchingEngine(tiny_moe.tokenizer, delay_s=0)
    runtime = runtime_for(engine, isolate=True)
    job = ask(conversation_factory, "v1")
    attempts.begin(job.reply_to_id, LIMIT, blamed=False)
    for _ in range(LIMIT - 1):
        attempts.begin(job.reply_to_id, LIMIT, blamed=True)
    try:
        assert runtime.serve(job, redelivered=True) is ServeResult.GAVE_UP
    finally:
        runtime.close()
    assert engine.seen == []
    assert runtime.attempts.gate.state() == GateState(0, False, 0)
    reasons = ConversationEvent.objects.filter(
        message_id=job.reply_to_id, kind=ConversationEvent.Kind.BOT_FAILED
    ).values_list("reason", flat=True)
    assert list(reasons) == [ATTEMPTS_EXHAUSTED]


def test_the_embedded_runtime_blames_every_death(tiny_moe, conversation_factory):
    """It never makes a customer's message wait at the gate; a death there is the web
    process's, so every generation answers for it, as before."""
    engine = GateWatchingEngine(tiny_moe.tokenizer, delay_s=0)
    runtime = runtime_for(engine, isolate=False)
    job = ask(conversation_factory, "v1")
    try:
        for _ in range(LIMIT):  # three generations that never ended: three web deaths
            assert runtime.attempts.begin(job) is not None
        assert runtime.serve(job, redelivered=True) is ServeResult.GAVE_UP
    finally:
        runtime.close()
    assert engine.seen == []
    assert counts(job) == (LIMIT, 0, LIMIT, 0)
