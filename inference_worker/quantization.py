"""Quantize a loaded model with bitsandbytes: dense Linears and fused MoE experts.

``quantize_model(model, "nf4" | "int8", device=...)`` replaces every ``nn.Linear`` except the
LM head and MoE routers with bitsandbytes' ``Linear4bit`` (NF4) or ``Linear8bitLt`` (LLM.int8),
and every fused experts module (3-D ``gate_up_proj``/``down_proj``, as transformers 5 builds
Qwen3-MoE, Qwen3.5-MoE and Mixtral) with ``QuantizedExperts``. ``load_in_4bit`` alone misses
the experts, which are ~95% of Qwen3-30B-A3B. Modules move to ``device`` one at a time and are
quantized there, so a GPU never holds the whole 16-bit model. A mode that bitsandbytes cannot
run on the device falls back to float for that module type, and one warning says what loaded.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field

import bitsandbytes as bnb
import torch
from torch import nn

from inference_worker.quant_experts import (
    EXPERT_MODES,
    QuantizedExperts,
    is_fused_experts,
    unsupported_reason,
)

logger = logging.getLogger(__name__)

MODES = ("none", "int8", "nf4")
# Routers pick experts from a few logits, and Qwen3.5's in_proj_a/in_proj_b feed the decay
# and beta gates of its linear attention: all tiny, and an error there costs more than bytes.
ROUTER_NAMES = frozenset({"gate", "router", "shared_expert_gate", "in_proj_a", "in_proj_b"})
MIN_OUT_FEATURES = 8  # narrower Linears are scalar gates; 4-bit saves nothing there
INT8_THRESHOLD = 6.0  # LLM.int8() outlier threshold, transformers' default
_DTYPE_NAMES = {torch.float32: "fp32", torch.bfloat16: "bf16", torch.float16: "fp16"}


@dataclass(slots=True)
class QuantizationReport:
    """What ``quantize_model`` did. Bytes count parameters, buffers and bitsandbytes' state."""

    requested: str
    device: str
    modes: dict[str, str]  # module kind -> how it is stored (nf4, int8, fp32, bf16, ...)
    quantized_linears: list[str] = field(default_factory=list)
    quantized_experts: list[str] = field(default_factory=list)
    kept_dense: list[str] = field(default_factory=list)  # Linears/experts left float on purpose
    bytes_before: int = 0
    bytes_after: int = 0
    bytes_before_by_kind: dict[str, int] = field(default_factory=dict)
    bytes_after_by_kind: dict[str, int] = field(default_factory=dict)
    fallback: str | None = None  # set when a mode could not be honoured on the device
    bitsandbytes_version: str = bnb.__version__

    @property
    def ratio(self) -> float:
        """bytes_before / bytes_after (how many times smaller the model got)."""
        return self.bytes_before / max(self.bytes_after, 1)

    def summary(self) -> str:
        kinds = ", ".join(f"{kind} {how}" for kind, how in self.modes.items())
        return (
            f"{self.requested} on {self.device}: {kinds}; {len(self.quantized_linears)} linears "
            f"and {len(self.quantized_experts)} experts modules quantized; "
            f"{self.bytes_before / 1e6:.1f} MB -> {self.bytes_after / 1e6:.1f} MB "
            f"(x{self.ratio:.2f}, bitsandbytes {self.bitsandbytes_version})"
        )


def compute_dtype_for(device: torch.device) -> torch.dtype:
    """bf16 on accelerators, fp32 on CPU (where bf16 matmuls are slow and less exact)."""
    return torch.float32 if device.type == "cpu" else torch.bfloat16


def classify(model: nn.Module, skip: Iterable[nn.Module] = ()) -> list[tuple[str, nn.Module, str]]:
    """(name, module, kind) for every Linear and fused-experts module; kind is ``experts``,
    ``linear`` (to quantize) or ``dense`` (kept float: LM head, embeddings, routers)."""
    keep = {id(m) for m in skip}
    for getter in ("get_output_embeddings", "get_input_embeddings"):
        found = getattr(model, getter, None)
        module = found() if callable(found) else None
        if module is not None:
            keep.add(id(module))
    found: list[tuple[str, nn.Module, str]] = []
    for name, module in model.named_modules():
        if isinstance(module, QuantizedExperts) or is_fused_experts(module):
            found.append((name, module, "experts"))
        elif isinstance(module, nn.Linear):
            leaf = name.rsplit(".", 1)[-1]
            dense = (
                id(module) in keep
                or leaf in ROUTER_NAMES
                or leaf == "lm_head"
                or module.out_features < MIN_OUT_FEATURES
            )
            found.append((name, module, "dense" if dense else "linear"))
    return found


def quantize_model(
    model: nn.Module,
    mode: str,
    *,
    device: str | torch.device = "cpu",
    skip: Iterable[nn.Module] = (),
) -> QuantizationReport:
    """Quantize ``model`` in place for inference on ``device`` and move all of it there.

    ``mode`` is ``none``, ``nf4`` or ``int8``. Works on a whole model or on one decoder layer
    (the benchmark builds 30B models layer by layer). ``skip`` lists extra modules to keep.
    """
    if mode not in MODES:
        raise ValueError(f"quantization must be one of {MODES}, got {mode!r}")
    device = torch.device(device)
    targets = classify(model, skip)
    bytes_before = module_bytes(model)
    before_by_kind = _bytes_by_kind(targets, bytes_before)
    dense_name = _DTYPE_NAMES.get(_float_dtype(model), "float")
    report = QuantizationReport(requested=mode, device=str(device), modes={})
    if mode == "none":
        model.to(device)
        report.modes = {"linear": dense_name, "experts": dense_name}
        report.bytes_before = report.bytes_after = bytes_before
        return report

    problems: list[str] = []
    linear_mode = mode
    error = probe_linear(mode, device)
    if error is not None:
        linear_mode = "none"
        problems.append(f"{_LINEAR_CLASSES[mode]}: {error}")
    experts_mode = mode
    error = probe_experts(mode, device)
    if error is not None:
        experts_mode = "none"
        problems.append(f"QuantizedExperts: {error}")

    pending = deque(targets)
    del targets  # popping from `pending` lets each float module go once it is replaced
    while pending:
        name, module, kind = pending.popleft()
        new: nn.Module | None = None
        if kind == "experts" and isinstance(module, QuantizedExperts):
            continue  # quantized by an earlier call
        if kind == "experts":
            reason = unsupported_reason(module)
            if reason is not None:
                kind_name = type(module).__name__
                logger.warning("experts %s (%s) left unquantized: %s", name, kind_name, reason)
                report.kept_dense.append(name)
            elif experts_mode != "none":
                new = QuantizedExperts.from_experts(module, experts_mode, device)
                report.quantized_experts.append(name)
        elif kind == "linear" and linear_mode != "none" and not _is_bnb(module):
            new = quantized_linear(module, linear_mode, device)
            report.quantized_linears.append(name)
        elif kind == "dense":
            report.kept_dense.append(name)
        if new is not None:
            _set_submodule(model, name, new)
        del module, new  # on a GPU, keeps one float module alive at a time, not all of them
    model.to(device)  # what is left: embeddings, norms, routers, LM head

    after = classify(model, skip)
    report.modes = {
        "linear": linear_mode if linear_mode != "none" else dense_name,
        "experts": experts_mode if experts_mode != "none" else dense_name,
        "lm_head": dense_name,
        "embeddings": dense_name,
        "router": dense_name,
    }
    report.bytes_before, report.bytes_after = bytes_before, module_bytes(model)
    report.bytes_before_by_kind = before_by_kind
    report.bytes_after_by_kind = _bytes_by_kind(after, report.bytes_after)
    if problems:
        report.fallback = (
            f"{mode} not supported on {device.type} by bitsandbytes {bnb.__version__} "
            f"({'; '.join(problems)}); loaded experts {report.modes['experts']}, "
            f"linears {report.modes['linear']}"
        )
        logger.warning("%s", report.fallback)
    else:
        logger.info("quantized %s", report.summary())
    return report


# -- dense Linears ---------------------------------------------------------------------------

_LINEAR_CLASSES = {"nf4": "Linear4bit", "int8": "Linear8bitLt"}


class _CastNotice(logging.Filter):
    """Drops bitsandbytes' per-call "inputs will be cast to float16" warning: LLM.int8() always
    multiplies in fp16, we chose that, and one line per Linear per token buries real warnings."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("MatMul8bitLt: inputs will be cast")


_CAST_NOTICE = _CastNotice()


def _is_bnb(module: nn.Module) -> bool:
    return isinstance(module, bnb.nn.Linear4bit | bnb.nn.Linear8bitLt)


def quantized_linear(linear: nn.Linear, mode: str, device: torch.device) -> nn.Module:
    """A bitsandbytes Linear on ``device`` computing what ``linear`` computes."""
    has_bias = linear.bias is not None
    compute_dtype = compute_dtype_for(device)
    if mode == "nf4":
        new = bnb.nn.Linear4bit(
            linear.in_features,
            linear.out_features,
            bias=has_bias,
            compute_dtype=compute_dtype,
            compress_statistics=True,
            quant_type="nf4",
            device="meta",  # weights come from ``linear``; allocate nothing twice
        )
        weight = linear.weight.detach().to(device=device, dtype=compute_dtype)
        new.weight = bnb.nn.Params4bit(
            weight,
            requires_grad=False,
            compress_statistics=True,
            quant_type="nf4",
            quant_storage=torch.uint8,
            module=new,  # bitsandbytes recovers a lost quant_state from the module
        )
    elif mode == "int8":
        cast_logger = logging.getLogger("bitsandbytes.autograd._functions")
        if _CAST_NOTICE not in cast_logger.filters:
            cast_logger.addFilter(_CAST_NOTICE)
        new = bnb.nn.Linear8bitLt(
            linear.in_features,
            linear.out_features,
            bias=has_bias,
            has_fp16_weights=False,
            threshold=INT8_THRESHOLD,
            device="meta",
        )
        # Int8Params quantizes only when it moves off the CPU (or stays on it).
        weight = linear.weight.detach().to("cpu")
        new.weight = bnb.nn.Int8Params(weight, requires_grad=False, has_fp16_weights=False)
    else:
        raise ValueError(f"no bitsandbytes Linear for mode {mode!r}")
    if has_bias:
        new.bias = nn.Parameter(linear.bias.detach().to(device, compute_dtype), requires_grad=False)
    return new.to(device)  # bitsandbytes quantizes here


# -- can bitsandbytes do it here? -------------------------------------------------------------


def probe_linear(mode: str, device: torch.device) -> str | None:
    """None if a ``mode`` Linear runs correctly on ``device``, else what went wrong."""
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(64, 128, generator=generator)
    inputs = torch.randn(4, 128, generator=generator)
    linear = nn.Linear(128, 64, bias=False, device="meta")
    linear.weight = nn.Parameter(weight)
    try:
        quantized = quantized_linear(linear, mode, device)
        with torch.inference_mode():
            got = quantized(inputs.to(device, compute_dtype_for(device))).float().cpu()
    except Exception as exc:  # bitsandbytes raises many types for "no kernel here"
        return f"{type(exc).__name__}: {exc}"[:300]
    return _check_close(got, inputs @ weight.T)


def probe_experts(mode: str, device: torch.device) -> str | None:
    """None if ``QuantizedExperts`` can store and restore ``mode`` weights on ``device``."""
    if mode not in EXPERT_MODES:
        return f"unknown mode {mode!r}"
    generator = torch.Generator().manual_seed(0)
    weight = torch.randn(2, 64, 128, generator=generator)
    probe = QuantizedExperts(
        num_experts=2, hidden_dim=128, intermediate_dim=32, act_fn=nn.SiLU(), mode=mode
    )
    try:
        probe._store("gate_up_proj", weight.to(device))
        experts = torch.arange(2, device=device)
        got = probe.dequantized("gate_up_proj", experts, compute_dtype_for(device)).float().cpu()
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"[:300]
    return _check_close(got, weight)


def _check_close(got: torch.Tensor, expected: torch.Tensor) -> str | None:
    # NF4 keeps ~0.99 cosine on Gaussian weights; a broken kernel lands far below.
    cosine = nn.functional.cosine_similarity(got.flatten(), expected.flatten(), dim=0).item()
    return None if cosine > 0.95 else f"wrong results (cosine {cosine:.3f} to float)"


# -- bookkeeping ------------------------------------------------------------------------------


def module_bytes(module: nn.Module) -> int:
    """Bytes of parameters, buffers and the bitsandbytes state hanging off them."""
    seen: set[int] = set()
    total = 0

    def add(tensor) -> None:
        nonlocal total
        if isinstance(tensor, torch.Tensor) and id(tensor) not in seen:
            seen.add(id(tensor))
            total += tensor.numel() * tensor.element_size()

    for tensor in [*module.parameters(), *module.buffers()]:
        add(tensor)
        state = getattr(tensor, "quant_state", None)  # Params4bit: absmax, codebooks
        while state is not None:
            for attr in ("absmax", "code", "offset"):
                add(getattr(state, attr, None))
            state = getattr(state, "state2", None)
    for sub in module.modules():
        if isinstance(sub, bnb.nn.Linear8bitLt):  # row scales live on the weight or state
            scale = getattr(sub.state, "SCB", None)
            add(scale if scale is not None else getattr(sub.weight, "SCB", None))
    return total


def _bytes_by_kind(targets: list[tuple[str, nn.Module, str]], total: int) -> dict[str, int]:
    """Bytes per kind; ``other`` is what no Linear or experts module holds (embeddings, norms)."""
    totals = {"linear": 0, "experts": 0, "dense": 0}
    for _, module, kind in targets:
        totals[kind] += module_bytes(module)
    totals["other"] = total - sum(totals.values())
    return totals


def _float_dtype(model: nn.Module) -> torch.dtype | None:
    for param in model.parameters():
        if param.is_floating_point():
            return param.dtype
    return None


def _set_submodule(root: nn.Module, name: str, new: nn.Module) -> None:
    parent_name, _, child = name.rpartition(".")
    parent = root.get_submodule(parent_name) if parent_name else root
    setattr(parent, child, new)
