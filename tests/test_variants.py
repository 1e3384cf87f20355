"""Model variants: the command that defines them and the engine settings a worker derives."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from supportbot.experiments.models import ModelVariant
from supportbot.serving.engines import engine_config, variant_settings
from supportbot.serving.queues import variant_of_queues

pytestmark = pytest.mark.django_db


def test_set_variant_creates_and_updates_a_variant(capsys):
    call_command(
        "set_variant", "qwen3-30b", "--model", "Qwen/Qwen3-30B-A3B-Instruct-2507",
        "--quantization", "nf4", "--moe", "--context-length", "8192",
        "--temperature", "0.7", "--top-p", "0.8", "--default",
    )  # fmt: skip
    variant = ModelVariant.objects.get(name="qwen3-30b")
    assert (variant.quantization, variant.is_moe) == ("nf4", True)
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
    variant = variant_settings(variant_of_queues(["variant.qwen35"]))
    config = engine_config(variant, batch_width=32, max_waiting=32)
    assert (config.model, config.quantization, config.max_batch_size) == (
        "Qwen/Qwen3.5-35B-A3B", "nf4", 32,
    )  # fmt: skip
    assert config.max_context_tokens == 4096
    assert (config.sampling.temperature, config.sampling.top_p) == (0.6, 0.95)

    fallback = engine_config(variant_settings("not-in-the-database"), batch_width=4, max_waiting=4)
    assert fallback.model == settings.SUPPORTBOT["MODEL"] and fallback.quantization == "none"


def test_a_worker_serves_exactly_one_variant_queue():
    with pytest.raises(RuntimeError, match="exactly one model variant"):
        variant_of_queues(["variant.a", "variant.b"])
    with pytest.raises(RuntimeError, match="exactly one model variant"):
        variant_of_queues(["celery"])


def test_the_variant_owns_the_reply_length(settings):
    call_command("set_variant", "short", "--model", "tiny-moe", "--max-new-tokens", "12")
    assert variant_settings("short").max_new_tokens == 12
    assert variant_settings("default").max_new_tokens == settings.SUPPORTBOT["MAX_NEW_TOKENS"]
    with pytest.raises(CommandError, match="max-new-tokens"):
        call_command("set_variant", "short", "--max-new-tokens", "0")


def test_variants_of_one_model_share_an_engine_unless_sampling_differs():
    ModelVariant.objects.create(name="a", model="tiny-moe", generation={"max_new_tokens": 8})
    ModelVariant.objects.create(name="b", model="tiny-moe", generation={"max_new_tokens": 30})
    ModelVariant.objects.create(name="c", model="tiny-moe", generation={"temperature": 0.7})
    a, b, c = (variant_settings(n) for n in "abc")
    assert a.engine_key == b.engine_key and (a.max_new_tokens, b.max_new_tokens) == (8, 30)
    assert c.engine_key != a.engine_key
