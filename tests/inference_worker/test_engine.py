"""The engine on the tiny real Qwen3-MoE: batching, streaming, cancellation, stops."""

from __future__ import annotations

import threading

import pytest
import torch

from inference_worker.config import EngineConfig
from inference_worker.detokenizer import IncrementalDetokenizer
from inference_worker.engine import Engine, QueueFull
from inference_worker.model_runner import ModelRunner
from inference_worker.sequence import FinishReason, GenerationRequest, StreamEvent

PROMPTS = [
    "Where is my order?",
    "How long does shipping to Germany take? I ordered on Monday.",
    "Refund",
    "Wie lange dauert der Versand nach Österreich?",
    "配送にはどのくらいかかりますか？",
    "I want to return a pair of shoes that do not fit, what should I do now?",
]


def make_engine(loaded, *, eos=(), max_batch_size=8, max_waiting=32, max_new_tokens=16) -> Engine:
    config = EngineConfig(
        model="tiny-moe",
        max_batch_size=max_batch_size,
        max_waiting=max_waiting,
        max_new_tokens=max_new_tokens,
    )
    runner = ModelRunner(loaded.model, loaded.tokenizer, config.sampling)
    return Engine(runner, config, set(eos))


class Recorder:
    def __init__(self) -> None:
        self.events: dict[str, list[StreamEvent]] = {}

    def __call__(self, event: StreamEvent) -> None:
        self.events.setdefault(event.request_id, []).append(event)

    def done(self, request_id: str) -> StreamEvent:
        (final,) = [e for e in self.events[request_id] if e.done]
        return final

    def deltas(self, request_id: str) -> list[str]:
        return [e.text for e in self.events[request_id] if not e.done]


def run_until_idle(engine: Engine) -> None:
    while engine.step():
        pass


@torch.inference_mode()
def reference_completion(loaded, prompt: str, new_tokens: int) -> list[int]:
    inputs = loaded.tokenizer(prompt, return_tensors="pt")
    out = loaded.model.generate(
        **inputs,
        max_new_tokens=new_tokens,
        min_new_tokens=new_tokens,
        do_sample=False,
        pad_token_id=loaded.tokenizer.pad_token_id,
    )
    return out[0, inputs["input_ids"].shape[1] :].tolist()


def test_requests_joining_a_running_batch_get_the_same_tokens_as_alone(tiny_moe):
    """Padding, cache merging and row removal must not change what a request computes."""
    engine = make_engine(tiny_moe, max_new_tokens=12)
    recorder = Recorder()
    for i, prompt in enumerate(PROMPTS):
        engine.submit(GenerationRequest(f"r{i}", prompt, max_new_tokens=8 + i), recorder)
        engine.step()  # each newcomer joins while the earlier ones are mid-reply
    run_until_idle(engine)
    for i, prompt in enumerate(PROMPTS):
        seq_tokens = recorder.done(f"r{i}").num_tokens
        assert seq_tokens == 8 + i
        expected = reference_completion(tiny_moe, prompt, 8 + i)
        expected_text = tiny_moe.tokenizer.decode(expected, skip_special_tokens=True)
        assert recorder.done(f"r{i}").text == expected_text.strip()


def test_concurrent_requests_share_decode_steps(tiny_moe):
    engine = make_engine(tiny_moe, max_new_tokens=10)
    recorder = Recorder()
    widths = []
    for i, prompt in enumerate(PROMPTS):
        engine.submit(GenerationRequest(f"b{i}", prompt), recorder)
    assert engine.stats().waiting == len(PROMPTS)
    while engine.step():
        widths.append(engine.scheduler.num_running)
    assert engine.stats().generated_tokens == 10 * len(PROMPTS)
    # Six requests of ten tokens each in ten steps, not sixty.
    assert engine.steps == 10
    assert max(widths) == len(PROMPTS)
    assert all(recorder.done(f"b{i}").finish_reason is FinishReason.LENGTH for i in range(6))


def test_stream_order_deltas_concatenate_to_the_final_text(tiny_moe):
    engine = make_engine(tiny_moe, max_new_tokens=24)
    recorder = Recorder()
    engine.submit(GenerationRequest("s", PROMPTS[1]), recorder)
    run_until_idle(engine)
    events = recorder.events["s"]
    assert events[-1].done and not any(e.done for e in events[:-1])
    assert "".join(recorder.deltas("s")).strip() == recorder.done("s").text
    assert recorder.done("s").first_token_at is not None


def test_abort_stops_one_request_and_the_batch_goes_on(tiny_moe):
    engine = make_engine(tiny_moe, max_new_tokens=20)
    recorder = Recorder()
    engine.submit(GenerationRequest("keep", PROMPTS[0]), recorder)
    engine.submit(GenerationRequest("drop", PROMPTS[1]), recorder)
    for _ in range(3):
        engine.step()
    engine.abort("drop")
    run_until_idle(engine)
    assert recorder.done("drop").finish_reason is FinishReason.ABORT
    assert recorder.done("drop").num_tokens == 3
    assert recorder.done("keep").finish_reason is FinishReason.LENGTH
    assert recorder.done("keep").num_tokens == 20


def test_abort_of_a_waiting_request(tiny_moe):
    engine = make_engine(tiny_moe, max_batch_size=1)
    recorder = Recorder()
    engine.submit(GenerationRequest("first", PROMPTS[0]), recorder)
    engine.submit(GenerationRequest("second", PROMPTS[1]), recorder)
    engine.step()
    engine.abort("second")
    run_until_idle(engine)
    assert recorder.done("second").finish_reason is FinishReason.ABORT
    assert recorder.done("second").num_tokens == 0


def test_end_of_turn_token_stops_the_reply(tiny_moe):
    tokens = reference_completion(tiny_moe, PROMPTS[0], 6)
    engine = make_engine(tiny_moe, eos={tokens[3]}, max_new_tokens=30)
    recorder = Recorder()
    engine.submit(GenerationRequest("eos", PROMPTS[0]), recorder)
    run_until_idle(engine)
    done = recorder.done("eos")
    assert done.finish_reason is FinishReason.STOP
    assert done.num_tokens == tokens.index(tokens[3]) + 1


def test_stop_string_cuts_the_text_and_never_streams_it(tiny_moe):
    tokens = reference_completion(tiny_moe, PROMPTS[2], 12)
    full = tiny_moe.tokenizer.decode(tokens, skip_special_tokens=True)
    stop = full[len(full) // 2 : len(full) // 2 + 3]
    assert stop.strip(), "the random model's output should contain visible text"
    engine = make_engine(tiny_moe, max_new_tokens=12)
    recorder = Recorder()
    engine.submit(GenerationRequest("stop", PROMPTS[2], stop_strings=(stop,)), recorder)
    run_until_idle(engine)
    done = recorder.done("stop")
    assert done.finish_reason is FinishReason.STOP
    assert stop not in "".join(recorder.deltas("stop"))
    assert done.text == full[: full.index(stop)].strip()


def test_an_empty_prompt_fails_alone_and_the_engine_goes_on(tiny_moe):
    engine = make_engine(tiny_moe, max_new_tokens=4)
    recorder = Recorder()
    engine.submit(GenerationRequest("empty", ""), recorder)
    engine.submit(GenerationRequest("fine", PROMPTS[0]), recorder)
    run_until_idle(engine)
    assert recorder.done("empty").finish_reason is FinishReason.ERROR
    assert recorder.done("fine").finish_reason is FinishReason.LENGTH


def test_queue_bound_refuses_with_queue_full(tiny_moe):
    engine = make_engine(tiny_moe, max_batch_size=1, max_waiting=2)
    engine.submit(GenerationRequest("a", "x"), Recorder())
    engine.submit(GenerationRequest("b", "x"), Recorder())
    with pytest.raises(QueueFull):
        engine.submit(GenerationRequest("c", "x"), Recorder())


def test_background_thread_streams_to_another_thread(tiny_moe):
    engine = make_engine(tiny_moe, max_new_tokens=8)
    engine.start()
    try:
        results = {}

        def ask(name: str, prompt: str) -> None:
            results[name] = list(engine.stream(GenerationRequest(name, prompt), timeout=60))

        threads = [threading.Thread(target=ask, args=(f"t{i}", p)) for i, p in enumerate(PROMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        engine.stop()
    assert sorted(results) == [f"t{i}" for i in range(len(PROMPTS))]
    assert all(events[-1].done and events[-1].num_tokens == 8 for events in results.values())


@pytest.mark.parametrize(
    "text",
    [
        "Grüße aus Köln",
        "你好，我的包裹在哪里？",
        "配送状況🙂📦 🫠🪿 龘靐",
        "مرحبا، أين طلبي؟",
        "Ünïcødé ✓",
    ],
)
def test_incremental_detokenizer_never_splits_a_character(tiny_moe, text):
    tokenizer = tiny_moe.tokenizer
    ids = tokenizer(text, add_special_tokens=False)["input_ids"]
    detok = IncrementalDetokenizer(tokenizer)
    pieces = [detok.add(token) for token in ids]
    pieces.append(detok.flush())
    assert all("\ufffd" not in piece for piece in pieces)
    assert "".join(pieces) == text
    if text.startswith("配送"):
        # The case that matters: byte-level BPE splits the emoji over several tokens.
        assert any("\ufffd" in tokenizer.decode([token]) for token in ids)
