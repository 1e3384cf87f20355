"""Fused MoE experts kept 4-bit (NF4) or int8, dequantized per batch for the experts it uses.

transformers 5 stores a layer's experts as two 3-D parameters (``gate_up_proj`` [E, 2I, D],
``down_proj`` [E, D, I]); bitsandbytes' ``load_in_4bit`` only converts ``nn.Linear`` and leaves
them 16-bit, which is most of a MoE model's weight. ``QuantizedExperts`` stores them with
bitsandbytes' functional quantizers and, on every call, dequantizes only the experts the batch
was routed to, in one call per projection, then runs one grouped matmul over all of them.
"""

from __future__ import annotations

import inspect
import logging

import bitsandbytes.functional as bnbf
import torch
from torch import nn

logger = logging.getLogger(__name__)

BLOCKSIZE = 64  # NF4 values sharing one absmax (bitsandbytes' default for weights)
EXPERT_MODES = ("nf4", "int8")
_FORWARD_ARGS = ("hidden_states", "top_k_index", "top_k_weights")
_PROJECTIONS = ("gate_up_proj", "down_proj")
_FP16_MAX = 65504.0
_grouped_mm_broken: set[str] = set()  # device types where grouped_mm raised once


def is_fused_experts(module: nn.Module) -> bool:
    """A module holding every expert of a layer as 3-D ``gate_up_proj`` and ``down_proj``."""
    gate_up = getattr(module, "gate_up_proj", None)
    down = getattr(module, "down_proj", None)
    return (
        isinstance(gate_up, torch.Tensor)
        and isinstance(down, torch.Tensor)
        and gate_up.dim() == 3
        and down.dim() == 3
    )


def unsupported_reason(module: nn.Module) -> str | None:
    """Why ``QuantizedExperts`` would not compute what ``module`` computes, or None."""
    params = list(inspect.signature(type(module).forward).parameters)[1:]
    if tuple(params[:3]) != _FORWARD_ARGS:
        return f"forward takes {params}, not {list(_FORWARD_ARGS)}"
    # Flags set by transformers' use_experts_implementation; GPT-OSS, for one, differs in all.
    flags = {
        "is_transposed": False,
        "is_concatenated": True,
        "has_bias": False,
        "has_gate": True,
        "has_post_expert_norm": False,
    }
    for flag, expected in flags.items():
        if getattr(module, flag, expected) != expected:
            return f"{flag}={not expected} is not supported"
    custom_gate = getattr(type(module), "_apply_gate", None)
    if custom_gate is not None and custom_gate.__name__ != "_default_apply_gate":
        return "it has its own gating function"
    if not callable(getattr(module, "act_fn", None)):
        return "it has no act_fn"
    experts, two_inter, hidden = module.gate_up_proj.shape
    if two_inter % 2 or tuple(module.down_proj.shape) != (experts, hidden, two_inter // 2):
        shapes = (tuple(module.gate_up_proj.shape), tuple(module.down_proj.shape))
        return f"gate_up_proj/down_proj shapes {shapes} are not [E, 2I, D] / [E, D, I]"
    return None


def _padded(numel: int) -> int:
    return -(-numel // BLOCKSIZE) * BLOCKSIZE


def expert_storage_bytes(num_experts: int, out_features: int, in_features: int, mode: str) -> int:
    """Bytes ``QuantizedExperts`` keeps for one projection of ``num_experts`` experts (the
    memory estimator uses this, so estimates and measured models agree)."""
    numel = out_features * in_features
    if mode == "nf4":
        padded = _padded(numel)
        # two values a byte + one fp16 absmax per block; the 16-entry codebook is per module
        return num_experts * (padded // 2 + (padded // BLOCKSIZE) * 2)
    if mode == "int8":
        return num_experts * (numel + out_features * 4)  # int8 values + fp32 row scale
    raise ValueError(f"unknown experts mode {mode!r}")


def nf4_codebook_bytes() -> int:
    return 16 * 4


class QuantizedExperts(nn.Module):
    """Drop-in for a fused experts module: same forward signature, same sum over routed experts."""

    def __init__(
        self, *, num_experts: int, hidden_dim: int, intermediate_dim: int, act_fn, mode: str
    ) -> None:
        super().__init__()
        if mode not in EXPERT_MODES:
            raise ValueError(f"experts mode must be one of {EXPERT_MODES}, got {mode!r}")
        self.num_experts = num_experts
        self.hidden_dim = hidden_dim
        self.intermediate_dim = intermediate_dim
        self.act_fn = act_fn
        self.mode = mode
        self._shapes = {
            "gate_up_proj": (2 * intermediate_dim, hidden_dim),
            "down_proj": (hidden_dim, intermediate_dim),
        }

    @classmethod
    def from_experts(
        cls, experts: nn.Module, mode: str, device: torch.device | str
    ) -> QuantizedExperts:
        """Quantize ``experts`` on ``device`` one projection at a time; the original's 3-D
        parameters are not modified (drop the module afterwards to free them)."""
        reason = unsupported_reason(experts)
        if reason is not None:
            raise ValueError(f"cannot quantize {type(experts).__name__}: {reason}")
        num_experts, two_inter, hidden = experts.gate_up_proj.shape
        quantized = cls(
            num_experts=num_experts,
            hidden_dim=hidden,
            intermediate_dim=two_inter // 2,
            act_fn=experts.act_fn,
            mode=mode,
        )
        device = torch.device(device)
        for name in _PROJECTIONS:
            # Quantize where the model will run: on a GPU this is seconds for 30B parameters.
            weight = getattr(experts, name).detach().to(device)
            quantized._store(name, weight)
            del weight
        return quantized

    def _store(self, name: str, weight: torch.Tensor) -> None:
        experts, out_features, in_features = weight.shape
        numel = out_features * in_features
        if self.mode == "nf4":
            flat = weight.reshape(experts, numel)
            if _padded(numel) != numel:
                # Each expert must start on a block boundary to be dequantized on its own.
                flat = nn.functional.pad(flat, (0, _padded(numel) - numel))
            packed, state = bnbf.quantize_4bit(
                flat.contiguous().reshape(-1),
                blocksize=BLOCKSIZE,
                compress_statistics=False,
                quant_type="nf4",
                quant_storage=torch.uint8,
            )
            absmax = state.absmax.reshape(experts, -1)
            # fp16 absmax costs 0.25 bit a weight instead of 0.5; its 5e-4 relative error is
            # far below NF4's own step. Keep fp32 if a block would overflow.
            if absmax.abs().max() < _FP16_MAX:
                absmax = absmax.to(torch.float16)
            self.register_buffer(f"{name}_packed", packed.reshape(experts, -1))
            self.register_buffer(f"{name}_absmax", absmax)
            if not hasattr(self, "nf4_code"):
                self.register_buffer("nf4_code", state.code.to(torch.float32))
        else:
            # bitsandbytes' own row-wise int8 (what Linear8bitLt stores): absmax per output row.
            values, row_absmax, _ = bnbf.int8_vectorwise_quant(
                weight.reshape(-1, in_features).to(torch.float16)
            )
            self.register_buffer(f"{name}_int8", values.reshape(experts, out_features, in_features))
            self.register_buffer(f"{name}_scale", row_absmax.float().reshape(experts, out_features))

    def dequantized(self, name: str, experts: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        """The float weights [len(experts), out, in] of projection ``name`` for ``experts``."""
        out_features, in_features = self._shapes[name]
        count = experts.numel()
        if self.mode == "int8":
            values = getattr(self, f"{name}_int8").index_select(0, experts)
            scale = getattr(self, f"{name}_scale").index_select(0, experts) / 127.0
            return values.to(dtype) * scale.to(dtype).unsqueeze(-1)
        numel = out_features * in_features
        padded = _padded(numel)
        packed = getattr(self, f"{name}_packed").index_select(0, experts)
        absmax = getattr(self, f"{name}_absmax").index_select(0, experts)
        state = bnbf.QuantState(
            absmax=absmax.reshape(-1).float(),
            shape=torch.Size([count * padded]),
            code=self.nf4_code,
            blocksize=BLOCKSIZE,
            quant_type="nf4",
            dtype=dtype,
        )
        flat = bnbf.dequantize_4bit(packed.reshape(-1, 1), state).reshape(count, padded)
        if padded != numel:
            flat = flat[:, :numel]
        return flat.reshape(count, out_features, in_features)

    def forward(
        self,
        hidden_states: torch.Tensor,
        top_k_index: torch.Tensor,
        top_k_weights: torch.Tensor,
    ) -> torch.Tensor:
        final = torch.zeros_like(hidden_states)
        top_k = top_k_index.shape[-1]
        flat_index = top_k_index.reshape(-1)
        # Index num_experts marks pairs owned by another rank (expert parallel); the original
        # loop skips them, so do we.
        pairs = ((flat_index >= 0) & (flat_index < self.num_experts)).nonzero().squeeze(-1)
        if pairs.numel() == 0:
            return final
        expert_of_pair, order = torch.sort(flat_index[pairs], stable=True)
        pairs = pairs[order]
        hit, counts = torch.unique_consecutive(expert_of_pair, return_counts=True)
        token_idx = pairs // top_k
        dtype = hidden_states.dtype

        gate_up = self.dequantized("gate_up_proj", hit, dtype)
        gate, up = _grouped_linear(hidden_states[token_idx], gate_up, counts).chunk(2, dim=-1)
        del gate_up  # the transient copy of hit experts is the largest allocation here
        down = self.dequantized("down_proj", hit, dtype)
        out = _grouped_linear(self.act_fn(gate) * up, down, counts)
        out = out * top_k_weights.reshape(-1)[pairs].unsqueeze(-1)
        final.index_add_(0, token_idx, out.to(final.dtype))
        return final

    def extra_repr(self) -> str:
        gate_up, down = self._shapes["gate_up_proj"], self._shapes["down_proj"]
        return (
            f"num_experts={self.num_experts}, mode={self.mode}, "
            f"gate_up={gate_up[0]}x{gate_up[1]}, down={down[0]}x{down[1]}"
        )


def _grouped_mm(inputs: torch.Tensor, weight: torch.Tensor, offsets: torch.Tensor):
    fn = getattr(nn.functional, "grouped_mm", None) or torch._grouped_mm
    return fn(inputs, weight, offs=offsets)


def _grouped_linear(inputs: torch.Tensor, weight: torch.Tensor, counts: torch.Tensor):
    """Rows of ``inputs`` sorted by group times each group's ``weight[g]``ᵀ: [N, out]."""
    device_type = inputs.device.type
    if device_type not in _grouped_mm_broken:
        try:
            offsets = counts.cumsum(0).to(torch.int32)
            return _grouped_mm(inputs, weight.transpose(-2, -1), offsets)
        except (RuntimeError, NotImplementedError, AttributeError) as exc:
            # Old GPUs and dtypes without a kernel: a Python loop computes the same thing.
            _grouped_mm_broken.add(device_type)
            logger.warning(
                "grouped_mm unavailable on %s (%s); experts use a loop", device_type, exc
            )
    pieces = inputs.split(counts.tolist())
    return torch.cat(
        [nn.functional.linear(piece, weight[g]) for g, piece in enumerate(pieces)], dim=0
    )
