"""Engine throughput on a random-weight Qwen3-MoE, bf16 or NF4 (experts included).

    python bench/moe_throughput.py --shape qwen3-30b-a3b --quant nf4 --device cuda --json
    python bench/moe_throughput.py --shape small --quant nf4 --device cpu --new-tokens 4

Random weights make end-of-turn a non-event, and the engine is built without eos ids, so every
request generates exactly ``--new-tokens`` tokens. All requests of a level are submitted at
once and the engine is stepped until idle, as bench/engine.py does. The model is built on the
meta device and materialized one decoder layer at a time on ``--device``; with ``--quant nf4``
each layer is quantized before the next exists, so the 16-bit experts of all layers never
coexist. The JSON is rewritten after every level (``--out``), so a run cut short keeps what it
measured.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from inference_worker.config import EngineConfig
from inference_worker.engine import Engine
from inference_worker.model_runner import ModelRunner
from inference_worker.quant_estimate import QWEN3_30B_A3B_SHAPE
from inference_worker.quantization import module_bytes, quantize_model
from inference_worker.sequence import GenerationRequest, StreamEvent
from inference_worker.tiny_models import build_qwen_tokenizer

_spec = importlib.util.spec_from_file_location(
    "bench_engine", Path(__file__).with_name("engine.py")
)
bench_engine = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench_engine)

GB = 1e9
COMMON = dict(vocab_size=151936, tie_word_embeddings=False, norm_topk_prob=True)
SHAPES = {
    "qwen3-30b-a3b": QWEN3_30B_A3B_SHAPE,
    # Same structure, a few MB of layers (the 151,936-row embeddings dominate): CPU checks.
    "small": dict(
        hidden_size=64,
        num_hidden_layers=2,
        num_experts=8,
        num_experts_per_tok=2,
        moe_intermediate_size=32,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        intermediate_size=128,
    ),
}
ANCHOR = {
    "source": "ML.ENERGY leaderboard: vLLM, one H100, BF16, Qwen3-30B-A3B",
    "tok_s": {"8": 611, "32": 1394, "96": 2659},
}
TARGETS = {"tok_s_at_32_on_h200": 1400, "nf4_peak_gb_max": 20}


def build_model(shape: str, quant: str, device: torch.device, seed: int = 0):
    """Random Qwen3-MoE of ``shape`` on ``device``; returns (model, facts about the build)."""
    from transformers import Qwen3MoeConfig, Qwen3MoeForCausalLM

    config = Qwen3MoeConfig(**COMMON, **SHAPES[shape])
    dtype = torch.float32 if device.type == "cpu" else torch.bfloat16
    started = time.perf_counter()
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    with torch.device("meta"):
        model = Qwen3MoeForCausalLM(config)
    model.to(dtype)  # on meta: changes the dtype, allocates nothing
    generator = torch.Generator(device=device).manual_seed(seed)
    counts = {"linears": 0, "experts": 0}
    for layer in model.model.layers:
        _materialize(layer, device, config.initializer_range, generator)
        if quant != "none":
            report = quantize_model(layer, quant, device=device)
            counts["linears"] += len(report.quantized_linears)
            counts["experts"] += len(report.quantized_experts)
    for module in (model.model.embed_tokens, model.model.norm, model.lm_head):
        _materialize(module, device, config.initializer_range, generator)
    # inv_freq is computed, not loaded: rebuild the rotary module instead of its meta buffers.
    model.model.rotary_emb = type(model.model.rotary_emb)(config).to(device)
    model.eval()
    facts = {
        "parameters": sum(p.numel() for p in model.parameters()),
        "model_gb": round(module_bytes(model) / GB, 3),
        "quantized_linears": counts["linears"],
        "quantized_experts": counts["experts"],
        "build_s": round(time.perf_counter() - started, 1),
        "dtype": str(dtype).removeprefix("torch."),
    }
    if device.type == "cuda":
        facts["build_peak_gb"] = round(torch.cuda.max_memory_allocated(device) / GB, 3)
    return model, facts


@torch.no_grad()
def _materialize(module, device: torch.device, std: float, generator: torch.Generator) -> None:
    module.to_empty(device=device)
    for name, param in module.named_parameters():
        if "norm" in name:
            param.fill_(1.0)
        else:
            param.normal_(0.0, std, generator=generator)


def run_level(engine: Engine, prompts: list[str], new_tokens: int, tag: str) -> dict:
    """Submit ``prompts`` at once, step until idle; token rate and latencies."""
    arrivals: dict[str, list[tuple[float, int]]] = {}
    finals: dict[str, StreamEvent] = {}

    def collect(event: StreamEvent) -> None:
        if event.done:
            finals[event.request_id] = event
        elif event.num_tokens:
            arrivals.setdefault(event.request_id, []).append(
                (time.perf_counter(), event.num_tokens)
            )

    start = time.perf_counter()
    for i, prompt in enumerate(prompts):
        request = GenerationRequest(f"{tag}-{i}", prompt, max_new_tokens=new_tokens)
        engine.submit(request, collect)
    while engine.step():
        pass
    elapsed = time.perf_counter() - start
    ttft, itl = [], []
    for times in arrivals.values():
        ttft.append((times[0][0] - start) * 1000)
        for (t0, n0), (t1, n1) in itertools.pairwise(times):
            # A delta may carry several tokens (held-back bytes): spread its wait over them.
            itl.extend([(t1 - t0) * 1000 / (n1 - n0)] * (n1 - n0))
    tokens = sum(event.num_tokens for event in finals.values())
    return {
        "concurrency": len(prompts),
        "tokens": tokens,
        "exact_length": all(e.num_tokens == new_tokens for e in finals.values())
        and len(finals) == len(prompts),
        "elapsed_s": round(elapsed, 3),
        "tok_s": round(tokens / elapsed, 1),
        "itl_p50_ms": round(statistics.median(itl), 2) if itl else None,
        "itl_p99_ms": round(bench_engine.percentile(itl, 0.99), 2) if itl else None,
        "ttft_p50_ms": round(statistics.median(ttft), 1) if ttft else None,
    }


def peak_memory(device: torch.device) -> dict:
    if device.type == "cuda":
        return {"peak_gb": round(torch.cuda.max_memory_allocated(device) / GB, 3)}
    # ru_maxrss is KiB on Linux; the process peak, so it only ever grows across levels.
    return {"rss_peak_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB, 3)}


def write(result: dict, out: Path | None) -> None:
    if out is None:
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    tmp.write_text(json.dumps(result, indent=2))
    os.replace(tmp, out)


def compare(result: dict) -> None:
    """Ratios to the published vLLM anchor and the H200 targets, where the levels exist."""
    by_level = {str(level["concurrency"]): level for level in result["levels"] if "tok_s" in level}
    result["ratio_to_anchor"] = {
        c: round(by_level[c]["tok_s"] / tok_s, 3)
        for c, tok_s in ANCHOR["tok_s"].items()
        if c in by_level
    }
    real = result["shape"] == "qwen3-30b-a3b" and result["device"].startswith("cuda")
    at_32 = by_level.get("32", {}).get("tok_s")
    peaks = [level["peak_gb"] for level in result["levels"] if "peak_gb" in level]
    peaks.append(result["model"].get("build_peak_gb", 0))
    result["meets_targets"] = {
        "tok_s_at_32": (at_32 >= TARGETS["tok_s_at_32_on_h200"]) if real and at_32 else None,
        "nf4_peak_gb": (max(peaks) <= TARGETS["nf4_peak_gb_max"])
        if real and result["quant"] == "nf4"
        else None,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", choices=sorted(SHAPES), default="small")
    parser.add_argument("--quant", choices=("none", "nf4"), default="none")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--concurrency", default="1,8,32,96", help="comma-separated levels")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument(
        "--budget-s", type=float, default=0, help="skip levels after this (0: none)"
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON file, rewritten per level")
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda but torch.cuda.is_available() is False (CPU-only torch?)")
    started = time.perf_counter()

    import bitsandbytes

    result: dict = {
        "bench": "moe_throughput",
        "status": "building",
        "shape": args.shape,
        "quant": args.quant,
        "device": str(device),
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "torch": torch.__version__,
        "bitsandbytes": bitsandbytes.__version__,
        "new_tokens": args.new_tokens,
        "levels": [],
        "anchor": ANCHOR,
        "targets": TARGETS,
    }
    write(result, args.out)
    tokenizer = build_qwen_tokenizer()
    model, result["model"] = build_model(args.shape, args.quant, device)
    config = EngineConfig(
        model=f"random-{args.shape}",
        device=str(device),
        quantization=args.quant,
        max_batch_size=max(levels),
        max_waiting=max(levels),
        max_new_tokens=args.new_tokens,
    )
    # No end-of-turn ids: every request runs to exactly --new-tokens.
    engine = Engine(ModelRunner(model, tokenizer, config.sampling), config, set())
    questions = bench_engine.load_questions(None, max(levels))
    prompts = [bench_engine.prompt_for(q) for q in questions]
    result["prompt_tokens_mean"] = round(
        statistics.mean(len(tokenizer(p)["input_ids"]) for p in prompts), 1
    )
    run_level(engine, prompts[:4], 2, "warmup")  # kernels, allocator, bitsandbytes state
    result["status"] = "running"
    for level in levels:
        if args.budget_s and time.perf_counter() - started > args.budget_s:
            result["levels"].append({"concurrency": level, "skipped": "time budget spent"})
            continue
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
        measured = run_level(engine, prompts[:level], args.new_tokens, f"c{level}")
        result["levels"].append({**measured, **peak_memory(device)})
        compare(result)
        write(result, args.out)
    skipped = any("skipped" in level for level in result["levels"])
    result["status"] = "partial" if skipped else "ok"
    result["total_s"] = round(time.perf_counter() - started, 1)
    compare(result)
    write(result, args.out)
    print(json.dumps(result) if args.json else json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
