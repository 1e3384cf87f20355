"""Engine configuration: one dataclass, validated when it is built."""

from __future__ import annotations

from dataclasses import dataclass, field

QUANTIZATIONS = ("none", "int8", "nf4")


@dataclass(slots=True)
class SamplingDefaults:
    """Generation parameters of a model variant; ``temperature == 0`` means greedy."""

    temperature: float = 0.0
    top_k: int = 0
    top_p: float = 1.0
    repetition_penalty: float = 1.0

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.top_k < 0:
            raise ValueError(f"top_k must be >= 0, got {self.top_k}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.repetition_penalty <= 0:
            raise ValueError(f"repetition_penalty must be > 0, got {self.repetition_penalty}")


@dataclass(slots=True)
class EngineConfig:
    """How one engine batches work.

    ``max_batch_size`` bounds the sequences decoded together (the GPU's batch width);
    ``max_waiting`` bounds the queue in front of it, so an overloaded engine refuses work
    instead of letting customers wait forever.
    """

    model: str = "gemma"
    device: str = "cpu"
    quantization: str = "none"  # none | int8 | nf4 (see inference_worker/quantization.py)
    max_batch_size: int = 16
    max_waiting: int = 256
    max_new_tokens: int = 128
    max_context_tokens: int = 2048
    max_prefill_tokens: int = 8192
    sampling: SamplingDefaults = field(default_factory=SamplingDefaults)
    seed: int = 0

    def __post_init__(self) -> None:
        for name in (
            "max_batch_size",
            "max_waiting",
            "max_new_tokens",
            "max_context_tokens",
            "max_prefill_tokens",
        ):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.quantization not in QUANTIZATIONS:
            raise ValueError(
                f"quantization must be one of {QUANTIZATIONS}, got {self.quantization!r}"
            )
        if self.max_new_tokens >= self.max_context_tokens:
            raise ValueError("max_new_tokens must be smaller than max_context_tokens")
