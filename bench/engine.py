"""Throughput of the continuous-batching engine against plain ``model.generate``.

    python bench/engine.py --model tiny-moe --concurrency 16 --new-tokens 32 --json

Runs the same prompts three ways in one process (so machine noise hits all of them):
sequentially through ``generate`` one at a time, as one padded ``generate`` call (static
batch), and through the engine with every request submitted at once. Every path produces
exactly ``--new-tokens`` tokens per prompt (end-of-turn is ignored) with greedy decoding.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference_worker.config import EngineConfig
from inference_worker.engine import Engine
from inference_worker.loader import load_model
from inference_worker.model_runner import ModelRunner
from inference_worker.sequence import GenerationRequest, StreamEvent

BUILTIN_QUESTIONS = [
    "Where is my order?",
    "How long does shipping to Germany take?",
    "I want to return a pair of shoes that do not fit, what do I do?",
    "My refund has not arrived yet, it has been two weeks.",
    "How do I reset my password?",
    "Can I change the delivery address of an order I placed this morning?",
    "Do you ship to Canada and how much does it cost?",
    "The package arrived damaged, the box was crushed and the item is broken.",
    "Wie lange dauert der Versand?",
    "¿Cómo puedo devolver un producto?",
    "Où est ma commande ?",
    "配送にはどのくらいかかりますか？",
    "我的退款什么时候到账？",
    "I was charged twice for the same order, please help.",
    "How can I delete my account and all my data?",
    "Is it possible to pay with PayPal or only by card?",
]


def load_questions(data: Path | None, count: int) -> list[str]:
    questions = list(BUILTIN_QUESTIONS)
    if data is not None:
        with open(data / "support" / "banking77_test.csv", encoding="utf-8") as handle:
            questions = [row["text"] for row in csv.DictReader(handle)]
    return [questions[i % len(questions)] for i in range(count)]


def prompt_for(question: str) -> str:
    return f"Customer support chat.\nCustomer: {question}\nAgent:"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def generate_exactly(model, tokenizer, inputs, new_tokens: int) -> None:
    """Greedy ``generate`` that produces exactly ``new_tokens`` tokens per row."""
    model.generate(
        **inputs,
        max_new_tokens=new_tokens,
        min_new_tokens=new_tokens,
        do_sample=False,
        pad_token_id=tokenizer.pad_token_id,
    )


@torch.inference_mode()
def run_sequential(model, tokenizer, prompts: list[str], new_tokens: int) -> float:
    start = time.perf_counter()
    for prompt in prompts:
        inputs = tokenizer(prompt, return_tensors="pt").to(model.device)
        generate_exactly(model, tokenizer, inputs, new_tokens)
    return len(prompts) * new_tokens / (time.perf_counter() - start)


@torch.inference_mode()
def run_static_batch(model, tokenizer, prompts: list[str], new_tokens: int) -> float:
    tokenizer.padding_side = "left"
    inputs = tokenizer(prompts, return_tensors="pt", padding=True).to(model.device)
    start = time.perf_counter()
    generate_exactly(model, tokenizer, inputs, new_tokens)
    return len(prompts) * new_tokens / (time.perf_counter() - start)


@torch.inference_mode()
def run_hf_continuous_batching(model, tokenizer, prompts: list[str], new_tokens: int) -> float:
    """transformers' own continuous batching (paged attention), for comparison."""
    from transformers import GenerationConfig

    inputs = [tokenizer(prompt)["input_ids"] for prompt in prompts]
    config = GenerationConfig(
        max_new_tokens=new_tokens,
        min_new_tokens=new_tokens,
        do_sample=False,
        eos_token_id=None,
        pad_token_id=tokenizer.pad_token_id,
    )
    start = time.perf_counter()
    results = model.generate_batch(inputs=inputs, generation_config=config, progress_bar=False)
    elapsed = time.perf_counter() - start
    tokens = sum(len(r.generated_tokens) for r in results.values())
    return tokens / elapsed


def run_engine(engine: Engine, prompts: list[str], new_tokens: int) -> tuple[float, list[float]]:
    done: dict[str, StreamEvent] = {}

    def collect(event: StreamEvent) -> None:
        if event.done:
            done[event.request_id] = event

    start = time.perf_counter()
    for i, prompt in enumerate(prompts):
        engine.submit(
            GenerationRequest(f"r{i}-{start}", prompt, max_new_tokens=new_tokens), collect
        )
    while engine.step():
        pass
    elapsed = time.perf_counter() - start
    tokens = sum(event.num_tokens for event in done.values())
    ttfts = [
        (event.first_token_at - event.submitted_at) * 1000
        for event in done.values()
        if event.first_token_at is not None
    ]
    return tokens / elapsed, ttfts


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="tiny-moe")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--repeats", type=int, default=3, help="best of N for each path")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data", type=Path, default=None, help="../shared/data for Banking77")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    parser.add_argument(
        "--with-hf-cb",
        action="store_true",
        help="also time transformers' generate_batch (continuous batching with paged attention)",
    )
    args = parser.parse_args(argv)

    loaded = load_model(args.model, device=args.device)
    model, tokenizer = loaded.model, loaded.tokenizer
    prompts = [prompt_for(q) for q in load_questions(args.data, args.concurrency)]
    config = EngineConfig(
        model=args.model,
        device=args.device,
        max_batch_size=max(args.concurrency, 1),
        max_waiting=max(args.concurrency, 1),
        max_new_tokens=args.new_tokens,
    )
    # No end-of-turn ids: every path generates exactly --new-tokens tokens.
    engine = Engine(ModelRunner(model, tokenizer, config.sampling), config, set())

    run_engine(engine, prompts[:2], 4)  # warm-up of every path
    run_static_batch(model, tokenizer, prompts[:2], 4)
    sequential = max(
        run_sequential(model, tokenizer, prompts, args.new_tokens) for _ in range(args.repeats)
    )
    static = max(
        run_static_batch(model, tokenizer, prompts, args.new_tokens) for _ in range(args.repeats)
    )
    engine_runs = [run_engine(engine, prompts, args.new_tokens) for _ in range(args.repeats)]
    engine_tok_s, ttfts = max(engine_runs, key=lambda run: run[0])

    hf_cb: float | str | None = None
    if args.with_hf_cb:
        try:
            run_hf_continuous_batching(model, tokenizer, prompts[:2], 4)
            hf_cb = round(
                max(
                    run_hf_continuous_batching(model, tokenizer, prompts, args.new_tokens)
                    for _ in range(args.repeats)
                ),
                1,
            )
        except Exception as exc:  # report, don't hide, an API that fails on this model/device
            hf_cb = f"failed: {type(exc).__name__}: {exc}"[:300]

    result = {
        "model": args.model,
        "device": args.device,
        "concurrency": args.concurrency,
        "new_tokens": args.new_tokens,
        "engine_tok_s": round(engine_tok_s, 1),
        "sequential_tok_s": round(sequential, 1),
        "static_batch_tok_s": round(static, 1),
        "ratio_vs_sequential": round(engine_tok_s / sequential, 2),
        "ratio_vs_static_batch": round(engine_tok_s / static, 3),
        "ttft_p50_ms": round(statistics.median(ttfts), 1),
        "ttft_p95_ms": round(percentile(ttfts, 0.95), 1),
        "hf_continuous_batching_tok_s": hf_cb,
        "torch_threads": torch.get_num_threads(),
    }
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
