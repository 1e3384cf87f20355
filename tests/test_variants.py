"""Model variants: the command that defines them and the engine settings a worker derives."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supportbot.chat.worker_adapter import engine_config_for, variant_of_queues
from supportbot.experiments.models import ModelVariant

pytestmark = pytest.mark.django_db


def test_set_variant_creates_and_updates_a_variant(capsys):
    call_command(
        "set_variant", "qwen3-30b", "--model", "Qwen/Qwen3-30B-A3B-Instruct-2507",
        "--quantization", "nf4", "--moe", "--context-length", "8192",
        "--temperature", "0.7", "--top-p", "0.8", "--default",
    )  # fmt: skip
    variant = ModelVariant.objects.get(name="qwen3-30b")
    assert (variant.quantization, variant.is_moe, variant.queue) == (
        "nf4",
        True,
        "variant.qwen3-30b",
    )
    assert variant.generation == {"temperature": 0.7, "top_p": 0.8} and variant.is_default
    assert "on queue variant.qwen3-30b [default]" in capsys.readouterr().out

    call_command("set_variant", "qwen3-30b", "--quantization", "int8", "--top-k", "20")
    variant.refresh_from_db()
    assert variant.quantization == "int8" and variant.model.startswith("Qwen/")
    assert variant.generation == {"temperature": 0.7, "top_p": 0.8, "top_k": 20}
    assert ModelVariant.get_default() == variant


def test_set_variant_refuses_a_new_variant_without_a_model():
    with pytest.raises(CommandError, match="give --model"):
        call_command("set_variant", "nothing-yet")


def test_a_worker_takes_its_engine_settings_from_its_variant(settings):
    ModelVariant.objects.create(
        name="qwen35", model="Qwen/Qwen3.5-35B-A3B", quantization="nf4", is_moe=True,
        context_length=4096, generation={"temperature": 0.6, "top_p": 0.95, "unknown": 1},
    )  # fmt: skip
    config = engine_config_for(variant_of_queues(["variant.qwen35"]), batch_width=32)
    assert (config.model, config.quantization, config.max_batch_size) == (
        "Qwen/Qwen3.5-35B-A3B", "nf4", 32,
    )  # fmt: skip
    assert config.max_context_tokens == 4096
    assert (config.sampling.temperature, config.sampling.top_p) == (0.6, 0.95)

    fallback = engine_config_for("not-in-the-database", batch_width=4)
    assert fallback.model == settings.SUPPORTBOT["MODEL"] and fallback.quantization == "none"


def test_a_worker_serves_exactly_one_variant_queue():
    with pytest.raises(RuntimeError, match="exactly one model variant"):
        variant_of_queues(["variant.a", "variant.b"])
    with pytest.raises(RuntimeError, match="exactly one model variant"):
        variant_of_queues(["celery"])
