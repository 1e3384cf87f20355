"""The worker runtime with the tiny model's engine and a recording sink (the ReplySink
interface implemented in memory, as the Django adapter implements it over the database)."""

from __future__ import annotations

import threading

import pytest

from inference_worker.config import EngineConfig
from inference_worker.engine import Engine
from inference_worker.jobs import ReplyJob
from inference_worker.model_runner import ModelRunner
from inference_worker.output_guard import GuardDecision
from inference_worker.prompting import PromptSpec, Turn
from inference_worker.serving import ServeResult, WorkerRuntime


class RecordingSink:
    """Stores in a dict and announces through the runtime's loop, as the Django sink does."""

    def __init__(self) -> None:
        self.stored: dict[int, str] = {}
        self.frames: list[tuple[str, dict]] = []
        self.events: list[str] = []
        self.fail_store = False
        self.lock = threading.Lock()
        self.run_on_loop = None

    def attach(self, run_on_loop):
        self.run_on_loop = run_on_loop

    def announce(self, job, frame):
        self.run_on_loop(self.publish(job.conversation, frame))

    def announce_stored_reply(self, job):
        text = self.stored.get(job.reply_to_id)
        if text is None:
            return False
        self.announce(job, {"type": "bot.done", "seq": 99, "text": text})
        return True

    def job_started(self, job):
        self.events.append(f"started {job.request_id}")

    def store_reply(self, job, event, *, worker):
        if self.fail_store:
            raise ConnectionError("database gone")
        with self.lock:
            if event.text and job.reply_to_id not in self.stored:
                self.stored[job.reply_to_id] = event.text
        self.events.append(f"stored {job.request_id}")
        seq = 99 if event.text else None
        self.announce(job, {"type": "bot.done", "seq": seq, "text": event.text})
        return seq is not None

    def job_abandoned(self, job, *, will_retry):
        self.events.append(f"abandoned {job.request_id} retry={will_retry}")

    def job_finished(self, job):
        pass

    def failed_frame(self, job):
        return {"type": "bot.done", "seq": None, "text": ""}

    checker = None

    def output_checker(self, job):
        return self.checker

    def store_blocked_reply(self, job, event, decision, *, worker):
        self.events.append(f"blocked {job.request_id}: {decision.reason}")
        self.stored[job.reply_to_id] = "safe reply"
        self.announce(job, {"type": "bot.retract"})
        self.announce(job, {"type": "bot.done", "seq": 99, "text": "safe reply"})
        self.announce(job, {"type": "handoff", "state": "waiting_agent", "reason": "safety"})

    def delta_frame(self, job, text):
        return {"type": "bot.delta", "text": text}

    def restart_frame(self, job):
        return {"type": "bot.restart"}

    async def publish(self, conversation, frame):
        self.frames.append((conversation, frame))


@pytest.fixture
def runtime(tiny_moe):
    runner = ModelRunner(tiny_moe.model, tiny_moe.tokenizer, EngineConfig().sampling)
    config = EngineConfig(model="tiny-moe", max_new_tokens=16)
    engine = Engine(runner, config, set(tiny_moe.eos_token_ids), is_instruct=True)
    engine.start()
    sink = RecordingSink()
    serving = WorkerRuntime(engine, sink, worker="w1@test", variant="default")
    yield serving, sink
    serving.close()


def job(seq: int = 1) -> ReplyJob:
    spec = PromptSpec(
        language="en",
        knowledge="Shipping: 3-5 days.",
        examples=(),
        history=(Turn(role="customer", text="Where is my order?"),),
    )
    return ReplyJob("conv-1", reply_to_id=seq, reply_to_seq=seq, variant="default", prompt=spec)


def types(sink: RecordingSink) -> list[str]:
    return [frame["type"] for _, frame in sink.frames]


def test_a_job_streams_deltas_then_stores_and_announces_the_reply(runtime):
    serving, sink = runtime
    assert serving.serve(job()) is ServeResult.REPLIED
    assert types(sink)[-1] == "bot.done" and "bot.delta" in types(sink)
    deltas = "".join(f["text"] for _, f in sink.frames if f["type"] == "bot.delta")
    assert deltas.strip() == sink.stored[1]
    assert sink.events == ["started conv-1:1", "stored conv-1:1"]


def test_a_redelivered_job_whose_reply_is_stored_is_announced_not_generated(runtime):
    serving, sink = runtime
    sink.stored[1] = "Already answered."
    assert serving.serve(job(), redelivered=True) is ServeResult.ALREADY_ANSWERED
    assert sink.frames == [("conv-1", {"type": "bot.done", "seq": 99, "text": "Already answered."})]
    assert sink.events == []  # no generation started
    # The runtime checks for a stored reply on every job, redelivered or not.
    assert serving.serve(job()) is ServeResult.ALREADY_ANSWERED


def test_a_restarted_job_tells_the_customer_then_streams_the_whole_reply(runtime):
    serving, sink = runtime
    assert serving.serve(job(), redelivered=True) is ServeResult.REPLIED
    assert types(sink)[0] == "bot.restart" and types(sink)[-1] == "bot.done"
    assert serving.metrics.redelivered._value.get() == 1


def test_a_second_copy_of_a_running_job_waits_for_it_instead_of_generating(runtime):
    serving, sink = runtime
    results: list[ServeResult] = []
    threads = [threading.Thread(target=lambda: results.append(serving.serve(job()))) for _ in "ab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == sorted([ServeResult.REPLIED, ServeResult.JOINED])
    assert sink.events.count("started conv-1:1") == 1


def test_a_failing_store_tells_the_customer_and_releases_the_job(runtime):
    serving, sink = runtime
    sink.fail_store = True
    assert serving.serve(job()) is ServeResult.FAILED
    assert sink.frames[-1][1] == {"type": "bot.done", "seq": None, "text": ""}
    assert sink.events[-1] == "abandoned conv-1:1 retry=False"


def test_a_reply_the_guard_stops_is_retracted_and_replaced(runtime):
    serving, sink = runtime
    checked: list[str] = []

    def refuse_everything(text: str) -> GuardDecision:
        checked.append(text)
        return GuardDecision(False, reason="hate", categories=("hate",))

    sink.checker = refuse_everything
    assert serving.serve(job()) is ServeResult.BLOCKED
    assert checked, "the guard saw the reply"
    assert "bot.delta" not in types(sink)  # nothing unchecked reached the customer
    assert types(sink) == ["bot.retract", "bot.done", "handoff"]
    assert sink.frames[-2][1]["text"] == "safe reply"
    assert sink.events[-1] == "blocked conv-1:1: hate"


def test_a_guard_that_passes_everything_loses_no_text(runtime):
    serving, sink = runtime
    sink.checker = lambda text: GuardDecision(True)
    assert serving.serve(job()) is ServeResult.REPLIED
    deltas = "".join(f["text"] for _, f in sink.frames if f["type"] == "bot.delta")
    assert deltas.strip() == sink.stored[1]
