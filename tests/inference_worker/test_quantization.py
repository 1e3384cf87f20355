"""bitsandbytes quantization of the tiny Qwen3-MoE: Linears and fused experts, on CPU.

Tolerances. The tiny model's weights are Gaussian (std 0.02), the worst case for per-block
scaling, and its logits have no trained margins. NF4 keeps a weight-level cosine of ~0.995;
after 2 layers of attention and experts the last-position logits keep cosine 0.986-0.995 to
the float model, so NF4 must reach 0.98 and int8 (cosine ~0.9999) 0.999. Anything beyond
quantization error is ruled out separately: the NF4 model must match, to float rounding, the
float model given the dequantized weights.
"""

from __future__ import annotations

import copy
import logging

import bitsandbytes as bnb
import bitsandbytes.functional as bnbf
import pytest
import torch
from torch import nn
from torch.nn.functional import cosine_similarity

from inference_worker import quant_experts
from inference_worker.config import EngineConfig
from inference_worker.engine import Engine
from inference_worker.loader import ModelLoadError, load_model
from inference_worker.quant_estimate import estimate_memory
from inference_worker.quant_experts import QuantizedExperts, unsupported_reason
from inference_worker.quantization import quantize_model
from inference_worker.sequence import FinishReason, GenerationRequest

PROMPTS = [
    "Where is my order? I placed it on Monday.",
    "Wie lange dauert der Versand nach Österreich?",
    "I want to return a pair of shoes that do not fit.",
    "配送にはどのくらいかかりますか？",
    "Hello",
    "How do I reset my password?",
    "Refund please",
    "My package arrived damaged.",
]
EXPERTS = ["model.layers.0.mlp.experts", "model.layers.1.mlp.experts"]


@pytest.fixture(scope="module")
def nf4_tiny():
    return load_model("tiny-moe", quantization="nf4")


@pytest.fixture(scope="module")
def int8_tiny(tiny_moe):
    model = copy.deepcopy(tiny_moe.model)
    return model, quantize_model(model, "int8", device="cpu")


@torch.inference_mode()
def last_logits(model: nn.Module, tokenizer) -> torch.Tensor:
    rows = [last_logits_of(model, tokenizer, prompt) for prompt in PROMPTS]
    return torch.stack(rows)


def last_logits_of(model: nn.Module, tokenizer, prompt: str) -> torch.Tensor:
    ids = tokenizer(prompt, return_tensors="pt")["input_ids"]
    return model(input_ids=ids).logits[0, -1].float()


def dequantized_twin(quantized: nn.Module, float_model: nn.Module) -> nn.Module:
    """``float_model`` carrying the weights ``quantized`` actually holds, dequantized."""
    twin = copy.deepcopy(float_model)
    for name, module in quantized.named_modules():
        if isinstance(module, bnb.nn.Linear4bit):
            weight = bnbf.dequantize_4bit(module.weight.data, module.weight.quant_state)
            twin.get_submodule(name).weight.data.copy_(weight)
        elif isinstance(module, QuantizedExperts):
            target = twin.get_submodule(name)
            every = torch.arange(module.num_experts)
            for proj in ("gate_up_proj", "down_proj"):
                getattr(target, proj).data.copy_(module.dequantized(proj, every, torch.float32))
    return twin


def test_nf4_quantizes_linears_and_experts_but_not_routers_or_lm_head(nf4_tiny, tiny_moe):
    model, report = nf4_tiny.model, nf4_tiny.quantization
    assert report.quantized_experts == EXPERTS
    assert len(report.quantized_linears) == 8  # q, k, v, o in each of the 2 layers
    assert report.kept_dense == ["lm_head"]
    assert report.modes["linear"] == report.modes["experts"] == "nf4"
    assert report.fallback is None
    float_3d = [n for n, p in model.named_parameters() if p.dim() == 3 and p.is_floating_point()]
    assert float_3d == []
    for name in EXPERTS:
        experts = model.get_submodule(name)
        assert isinstance(experts, QuantizedExperts) and experts.mode == "nf4"
        assert experts.gate_up_proj_packed.dtype == torch.uint8
    for name, module in model.named_modules():
        if name.endswith(("q_proj", "k_proj", "v_proj", "o_proj")):
            assert isinstance(module, bnb.nn.Linear4bit), name
    original = dict(tiny_moe.model.named_parameters())
    kept = ["lm_head.weight", "model.embed_tokens.weight", "model.layers.0.mlp.gate.weight"]
    for name in kept:
        param = model.get_parameter(name)
        assert type(param) is nn.Parameter and param.dtype == torch.float32
        assert torch.equal(param, original[name]), name


def test_quantized_parts_shrink_by_the_expected_factor(nf4_tiny, int8_tiny):
    """From fp32: NF4 is 8x minus absmax/codebook overhead, int8 4x minus row scales. The
    tiny model is mostly its 151k-row embeddings, which stay fp32, so the totals barely move."""
    for report, factor in ((nf4_tiny.quantization, 6.0), (int8_tiny[1], 3.5)):
        before, after = report.bytes_before_by_kind, report.bytes_after_by_kind
        quantizable_before = before["linear"] + before["experts"]
        quantizable_after = after["linear"] + after["experts"]
        assert quantizable_before / quantizable_after > factor, (before, after)
        assert before["experts"] / after["experts"] > factor
        assert report.bytes_after < report.bytes_before
        assert report.bytes_before - report.bytes_after == quantizable_before - quantizable_after


def test_estimator_matches_the_quantized_model_byte_for_byte(nf4_tiny, int8_tiny):
    estimate = estimate_memory(nf4_tiny.model.config, dtype=torch.float32)
    nf4, int8 = nf4_tiny.quantization, int8_tiny[1]
    assert estimate.dense_bytes == nf4.bytes_before
    assert estimate.nf4_bytes == nf4.bytes_after
    assert estimate.nf4_linear_bytes == nf4.bytes_after_by_kind["linear"]
    assert estimate.nf4_experts_bytes == nf4.bytes_after_by_kind["experts"]
    assert estimate.int8_bytes == int8.bytes_after
    assert estimate.load_in_4bit_bytes > estimate.nf4_bytes  # experts stay 32-bit there


def test_logits_stay_close_to_the_float_model(nf4_tiny, int8_tiny, tiny_moe):
    """A random model's top logits are nearly tied (the top-2 gap is 0.03-0.9 standard
    deviations here), and cosine 0.99 means logit noise of ~0.14 std, so NF4 may swap near-ties:
    its pick must be in the float model's top 5, and equal wherever the float margin is clear
    (> 0.5 std). int8 must pick the same token everywhere."""
    reference = last_logits(tiny_moe.model, tiny_moe.tokenizer)
    top2 = reference.topk(2, dim=-1).values
    clear = (top2[:, 0] - top2[:, 1]) / reference.std(dim=-1) > 0.5
    assert clear.any()
    for model, min_cosine in ((nf4_tiny.model, 0.98), (int8_tiny[0], 0.999)):
        got = last_logits(model, tiny_moe.tokenizer)
        cosine = cosine_similarity(got, reference, dim=-1)
        assert cosine.min() > min_cosine, cosine
        picked = got.argmax(-1)
        same = picked == reference.argmax(-1)
        assert same[clear].all(), (picked, reference.argmax(-1))
        in_top5 = (reference.topk(5, dim=-1).indices == picked[:, None]).any(-1)
        assert in_top5.all(), picked
        if model is int8_tiny[0]:
            assert same.all()


def test_nf4_model_computes_exactly_what_its_dequantized_weights_give(tiny_moe):
    """All the difference to the float model is rounding of weights, none is routing.

    Up to the kernel's own arithmetic: bitsandbytes 0.48 computed 4-bit layers on the CPU in
    fp32 (the twin matched to 1e-4); from 0.49 its CPU kernels work in bf16, which moves
    logits by up to ~2.5 % of their standard deviation here, and a one-row forward switches a
    layer's ``quant_state.dtype`` to bf16, after which ``dequantize_4bit`` no longer returns
    the weights the layer computes with. So the twin is read from a freshly quantized model,
    before any forward. A wrong expert or block moves logits by far more than the 5 % allowed.
    """
    fresh = load_model("tiny-moe", quantization="nf4")
    twin = dequantized_twin(fresh.model, tiny_moe.model)
    got = last_logits(fresh.model, tiny_moe.tokenizer)
    expected = last_logits(twin, tiny_moe.tokenizer)
    tolerance = 0.05 * expected.std().item()
    torch.testing.assert_close(got, expected, rtol=0, atol=tolerance)


@pytest.mark.parametrize("mode", ["nf4", "int8"])
@pytest.mark.parametrize("grouped", [True, False])
def test_quantized_experts_match_the_original_module(tiny_moe, monkeypatch, mode, grouped):
    if not grouped:  # the loop used where torch has no grouped_mm kernel
        monkeypatch.setattr(quant_experts, "_grouped_mm_broken", {"cpu"})
    original = copy.deepcopy(tiny_moe.model.model.layers[0].mlp.experts)
    # The loop over hit experts is the reference; grouped_mm does not skip index num_experts.
    original.config._experts_implementation = "eager"
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        original.gate_up_proj.normal_(0, 0.1, generator=generator)
        original.down_proj.normal_(0, 0.1, generator=generator)
    quantized = QuantizedExperts.from_experts(original, mode, "cpu")
    tokens, top_k, n = 12, 2, original.num_experts
    hidden = torch.randn(tokens, original.hidden_dim, generator=generator)
    index = torch.stack([torch.randperm(n, generator=generator)[:top_k] for _ in range(tokens)])
    index[3, 1] = n  # "another rank's expert": the original skips it
    weights = torch.rand(tokens, top_k, generator=generator)

    got = quantized(hidden, index, weights)
    twin = copy.deepcopy(original)
    every = torch.arange(n)
    with torch.no_grad():
        twin.gate_up_proj.copy_(quantized.dequantized("gate_up_proj", every, torch.float32))
        twin.down_proj.copy_(quantized.dequantized("down_proj", every, torch.float32))
    torch.testing.assert_close(got, twin(hidden, index, weights), rtol=1e-5, atol=1e-5)
    cosine = cosine_similarity(got.flatten(), original(hidden, index, weights).flatten(), dim=0)
    assert cosine > (0.98 if mode == "nf4" else 0.999)
    nobody = torch.full_like(index, n)
    assert torch.equal(quantized(hidden, nobody, weights), torch.zeros_like(hidden))


def test_unsupported_mode_falls_back_with_one_log_line(tiny_moe, monkeypatch, caplog):
    """bitsandbytes 0.50 runs int8 on CPU; a build without the kernel is simulated by making
    its Linear8bitLt raise what a missing backend raises."""

    def no_kernel(self, x):
        raise NotImplementedError("no int8 matmul kernel for cpu")

    monkeypatch.setattr(bnb.nn.Linear8bitLt, "forward", no_kernel)
    model = copy.deepcopy(tiny_moe.model)
    with caplog.at_level(logging.INFO, logger="inference_worker.quantization"):
        report = quantize_model(model, "int8", device="cpu")
    lines = [r for r in caplog.records if r.name == "inference_worker.quantization"]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    message = lines[0].getMessage()
    assert message.startswith(f"int8 not supported on cpu by bitsandbytes {bnb.__version__}")
    assert message.endswith("loaded experts int8, linears fp32")
    assert report.fallback == message
    assert report.modes["linear"] == "fp32" and report.quantized_linears == []
    assert type(model.model.layers[0].self_attn.q_proj) is nn.Linear
    assert isinstance(model.model.layers[0].mlp.experts, QuantizedExperts)


def test_load_model_nf4_generates(nf4_tiny):
    tokenizer = nf4_tiny.tokenizer
    inputs = tokenizer("Hello, where is my parcel?", return_tensors="pt")
    with torch.inference_mode():
        out = nf4_tiny.model.generate(**inputs, max_new_tokens=6, min_new_tokens=6, do_sample=False)
    assert out.shape[1] == inputs["input_ids"].shape[1] + 6


def test_engine_runs_a_quantized_model():
    engine = Engine.from_config(
        EngineConfig(model="tiny-moe", quantization="nf4", max_new_tokens=8)
    )
    assert isinstance(engine.runner.model.model.layers[0].mlp.experts, QuantizedExperts)
    engine.start()
    try:
        events = list(engine.stream(GenerationRequest("x", "Hello", max_new_tokens=8), 60))
    finally:
        engine.stop()
    final = events[-1]
    assert final.done and final.finish_reason in (FinishReason.LENGTH, FinishReason.STOP)
    assert 1 <= final.num_tokens <= 8


def test_other_moe_families_are_found_and_stay_close():
    """Mixtral and Qwen3.5-MoE build their experts like Qwen3-MoE in transformers 5."""
    from transformers import AutoModelForCausalLM, MixtralConfig
    from transformers.models.qwen3_5_moe import Qwen3_5MoeTextConfig

    common = dict(vocab_size=256, hidden_size=64, num_attention_heads=4, num_key_value_heads=2)
    configs = [
        MixtralConfig(**common, intermediate_size=32, num_hidden_layers=2, num_local_experts=4),
        Qwen3_5MoeTextConfig(
            **common,
            num_hidden_layers=2,
            layer_types=["linear_attention", "full_attention"],
            head_dim=16,
            linear_key_head_dim=16,
            linear_value_head_dim=16,
            linear_num_key_heads=2,
            linear_num_value_heads=4,
            moe_intermediate_size=32,
            shared_expert_intermediate_size=32,
            num_experts=4,
            num_experts_per_tok=2,
        ),
    ]
    ids = torch.randint(0, 256, (2, 10), generator=torch.Generator().manual_seed(0))
    for config in configs:
        torch.manual_seed(0)
        model = AutoModelForCausalLM.from_config(config).eval()
        with torch.inference_mode():
            expected = model(ids).logits[:, -1]
        report = quantize_model(model, "nf4", device="cpu")
        assert len(report.quantized_experts) == 2, type(config).__name__
        assert "lm_head" in report.kept_dense
        with torch.inference_mode():
            got = model(ids).logits[:, -1]
        assert cosine_similarity(got, expected).min() > 0.98


def test_experts_with_another_layout_are_left_alone(caplog):
    from transformers import GptOssConfig
    from transformers.models.gpt_oss.modeling_gpt_oss import GptOssExperts

    config = GptOssConfig(hidden_size=64, intermediate_size=32, num_local_experts=4)
    holder = nn.Module()
    holder.experts = GptOssExperts(config)
    assert "forward takes" in unsupported_reason(holder.experts)
    with caplog.at_level(logging.WARNING, logger="inference_worker.quantization"):
        report = quantize_model(holder, "nf4", device="cpu")
    assert report.kept_dense == ["experts"] and report.quantized_experts == []
    assert isinstance(holder.experts, GptOssExperts)
    assert "left unquantized" in caplog.text


def test_unknown_modes_are_refused(tiny_moe):
    with pytest.raises(ValueError, match="quantization must be one of"):
        quantize_model(nn.Linear(4, 4), "fp8")
    with pytest.raises(ModelLoadError, match="quantization must be one of"):
        load_model("tiny-moe", quantization="int4")
