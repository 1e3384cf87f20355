"""Memory a model needs under each quantization scheme, from its config alone.

    python -m inference_worker.quant_estimate                 # Qwen3-30B-A3B-Instruct-2507
    python -m inference_worker.quant_estimate --model qwen3.5-35b-a3b --json

The model is instantiated on the ``meta`` device (no weights allocated) and every module is
classified with the same rules ``quantize_model`` applies, so the estimates describe what
``quantize_model`` builds; tests check them against a quantized tiny model byte for byte.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass

import torch
from torch import nn

from inference_worker.quant_experts import expert_storage_bytes, nf4_codebook_bytes
from inference_worker.quantization import classify

GB = 1e9
GIB = 2**30


# Qwen/Qwen3-30B-A3B-Instruct-2507's layer shapes (its config.json); bench/moe_throughput.py
# builds random-weight models of the same shape.
QWEN3_30B_A3B_SHAPE = dict(
    hidden_size=2048,
    num_hidden_layers=48,
    num_experts=128,
    num_experts_per_tok=8,
    moe_intermediate_size=768,
    num_attention_heads=32,
    num_key_value_heads=4,
    head_dim=128,
    intermediate_size=6144,
)


def qwen3_30b_a3b_config():
    """The text config of Qwen/Qwen3-30B-A3B-Instruct-2507 (values from its config.json)."""
    from transformers import Qwen3MoeConfig

    return Qwen3MoeConfig(
        **QWEN3_30B_A3B_SHAPE,
        vocab_size=151936,
        tie_word_embeddings=False,
        decoder_sparse_step=1,
        mlp_only_layers=[],
        norm_topk_prob=True,
        max_position_embeddings=262144,
    )


def qwen3_5_35b_a3b_config():
    """transformers' Qwen3.5-MoE text defaults, which its docs give as Qwen/Qwen3.5-35B-A3B's
    (text model only: the vision tower is not counted)."""
    from transformers.models.qwen3_5_moe import Qwen3_5MoeTextConfig

    return Qwen3_5MoeTextConfig()


NAMED_CONFIGS = {"qwen3-30b-a3b": qwen3_30b_a3b_config, "qwen3.5-35b-a3b": qwen3_5_35b_a3b_config}


@dataclass(slots=True)
class MemoryEstimate:
    name: str
    parameters: int
    expert_parameters: int
    dense_bytes: int  # every weight in ``dtype`` (bf16 unless asked otherwise)
    load_in_4bit_bytes: int  # BitsAndBytesConfig(load_in_4bit=True): Linears 4-bit, experts not
    nf4_bytes: int  # quantize_model(..., "nf4"): Linears and experts NF4
    int8_bytes: int  # quantize_model(..., "int8")
    # The quantizable parts alone, as QuantizationReport.bytes_after_by_kind counts them.
    nf4_linear_bytes: int = 0
    nf4_experts_bytes: int = 0

    def lines(self) -> list[str]:
        rows = [
            ("bf16, nothing quantized", self.dense_bytes),
            ("load_in_4bit (Linears 4-bit, experts 16-bit)", self.load_in_4bit_bytes),
            ("nf4: Linears + experts 4-bit (ours)", self.nf4_bytes),
            ("int8: Linears + experts int8 (ours)", self.int8_bytes),
        ]
        head = (
            f"{self.name}: {self.parameters / 1e9:.2f}B parameters, "
            f"{self.expert_parameters / 1e9:.2f}B in experts"
        )
        return [head] + [
            f"  {label:<48} {size / GB:7.2f} GB  ({size / GIB:6.2f} GiB)" for label, size in rows
        ]


def nf4_linear_bytes(out_features: int, in_features: int) -> int:
    """bitsandbytes Linear4bit with compress_statistics (its default): packed NF4 values, a
    uint8 absmax per 64 weights, an fp32 absmax per 256 of those, two codebooks, one offset."""
    numel = out_features * in_features
    blocks = -(-numel // 64)
    return -(-numel // 2) + blocks + -(-blocks // 256) * 4 + 256 * 4 + 16 * 4 + 4


def load_in_4bit_linear_bytes(out_features: int, in_features: int) -> int:
    """transformers' BitsAndBytesConfig(load_in_4bit=True) default: no double quantization."""
    numel = out_features * in_features
    return -(-numel // 2) + -(-numel // 64) * 4 + 16 * 4


def int8_linear_bytes(out_features: int, in_features: int) -> int:
    return out_features * in_features + out_features * 4  # int8 values + fp32 row scales


def _dense_bytes(module: nn.Module) -> int:
    tensors = [*module.parameters(), *module.buffers()]
    return sum(t.numel() * t.element_size() for t in tensors)


def estimate_memory(
    config, *, dtype: torch.dtype = torch.bfloat16, name: str = ""
) -> MemoryEstimate:
    """Bytes of ``config``'s causal-LM model: dense, load_in_4bit, and ours (nf4, int8)."""
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config, dtype=dtype)
    dense = _dense_bytes(model)
    output = model.get_output_embeddings()
    saved = {"load_in_4bit": 0, "nf4": 0, "int8": 0}
    nf4_linear = nf4_experts = expert_params = 0
    for _, module, kind in classify(model):
        if kind == "experts":
            experts, two_inter, hidden = module.gate_up_proj.shape
            expert_params += module.gate_up_proj.numel() + module.down_proj.numel()
            was = _dense_bytes(module)
            shapes = ((two_inter, hidden), (hidden, two_inter // 2))
            nf4 = sum(expert_storage_bytes(experts, o, i, "nf4") for o, i in shapes)
            nf4 += nf4_codebook_bytes()
            int8 = sum(expert_storage_bytes(experts, o, i, "int8") for o, i in shapes)
            saved["nf4"] += was - nf4
            saved["int8"] += was - int8
            nf4_experts += nf4
            continue
        weight = module.weight.numel() * module.weight.element_size()
        shape = (module.out_features, module.in_features)
        bias = 0 if module.bias is None else module.bias.numel() * module.bias.element_size()
        if module is not output:  # transformers keeps only the LM head out of load_in_4bit
            saved["load_in_4bit"] += weight - load_in_4bit_linear_bytes(*shape)
        if kind == "linear":
            saved["nf4"] += weight - nf4_linear_bytes(*shape)
            saved["int8"] += weight - int8_linear_bytes(*shape)
            nf4_linear += nf4_linear_bytes(*shape) + bias
    return MemoryEstimate(
        name=name or type(config).__name__,
        parameters=sum(p.numel() for p in model.parameters()),
        expert_parameters=expert_params,
        dense_bytes=dense,
        load_in_4bit_bytes=dense - saved["load_in_4bit"],
        nf4_bytes=dense - saved["nf4"],
        int8_bytes=dense - saved["int8"],
        nf4_linear_bytes=nf4_linear,
        nf4_experts_bytes=nf4_experts,
    )


def main(argv: list[str] | None = None) -> MemoryEstimate:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--model", default="qwen3-30b-a3b", help=f"{', '.join(NAMED_CONFIGS)} or a config.json"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.model in NAMED_CONFIGS:
        config = NAMED_CONFIGS[args.model]()
    else:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(args.model)
    estimate = estimate_memory(config, name=args.model)
    if args.json:
        print(json.dumps({**asdict(estimate), "unit_note": "bytes; GB below are 1e9 bytes"}))
    else:
        print("\n".join(estimate.lines()))
    return estimate


if __name__ == "__main__":
    main()
