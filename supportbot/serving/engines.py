"""Engine settings of a model variant: the one owner of every generation setting.

A variant names its model, quantization, context length and generation settings
(``ModelVariant.generation``: ``max_new_tokens`` and the sampling parameters). What a variant
leaves out falls back to the deployment's settings (``SUPPORTBOT_MODEL``,
``SUPPORTBOT_MAX_NEW_TOKENS``) and then to ``SamplingDefaults``.
"""

from __future__ import annotations

import logging
from dataclasses import astuple, dataclass

from django.conf import settings

from inference_worker.config import EngineConfig, SamplingDefaults
from inference_worker.engine import Engine
from supportbot.experiments.models import ModelVariant

logger = logging.getLogger(__name__)

SAMPLING_KEYS = frozenset(SamplingDefaults.__slots__)
GENERATION_KEYS = SAMPLING_KEYS | {"max_new_tokens"}


@dataclass(frozen=True, slots=True)
class VariantSettings:
    """What one variant asks of an engine."""

    name: str
    model: str
    quantization: str
    context_length: int
    max_new_tokens: int
    sampling: SamplingDefaults

    @property
    def engine_key(self) -> tuple:
        """Variants with equal keys share one loaded engine; the reply length is set per
        request, so variants of one model may differ in it."""
        return (self.model, self.quantization, self.context_length, astuple(self.sampling))


def variant_settings(name: str) -> VariantSettings:
    """The settings of variant ``name``: its row if it exists, else the deployment's default."""
    options = settings.SUPPORTBOT
    variant = ModelVariant.objects.filter(name=name).first()
    model, quantization, context, generation = options["MODEL"], "none", 2048, {}
    if variant is not None:
        model, quantization = variant.model, variant.quantization
        context, generation = variant.context_length, dict(variant.generation or {})
    else:
        logger.warning("no model variant %r in the database; serving the default model", name)
    unknown = set(generation) - GENERATION_KEYS
    if unknown:
        logger.warning("variant %s: ignoring unknown generation settings %s", name, sorted(unknown))
    max_new_tokens = int(generation.get("max_new_tokens", options["MAX_NEW_TOKENS"]))
    return VariantSettings(
        name=name,
        model=model,
        quantization=quantization,
        context_length=context,
        max_new_tokens=max(1, min(max_new_tokens, context - 1)),
        sampling=SamplingDefaults(**{k: v for k, v in generation.items() if k in SAMPLING_KEYS}),
    )


def engine_config(variant: VariantSettings, *, batch_width: int, max_waiting: int) -> EngineConfig:
    return EngineConfig(
        model=variant.model,
        device=settings.SUPPORTBOT["DEVICE"],
        quantization=variant.quantization,
        max_batch_size=batch_width,
        max_waiting=max_waiting,
        max_new_tokens=variant.max_new_tokens,
        max_context_tokens=variant.context_length,
        sampling=variant.sampling,
    )


def check_variant(variant_name: str, engine: Engine) -> None:
    """Say loudly when the variant's declared shape differs from what was loaded."""
    variant = ModelVariant.objects.filter(name=variant_name).first()
    if variant is not None and engine.is_moe is not None and variant.is_moe != engine.is_moe:
        logger.warning(
            "variant %s says is_moe=%s but %s loaded as %s; fix the variant",
            variant_name, variant.is_moe, variant.model, "MoE" if engine.is_moe else "dense",
        )  # fmt: skip
    if engine.quantization_report is not None:
        logger.info("variant %s: %s", variant_name, engine.quantization_report.summary())
