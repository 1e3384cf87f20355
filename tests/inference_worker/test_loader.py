"""Model loading: the tiny test MoE, local folders, hub ids, and (slow) the bundled Gemma."""

from __future__ import annotations

import os
from functools import lru_cache

import pytest
import torch

from inference_worker import loader
from inference_worker.loader import ModelLoadError, load_model, model_cache_dir, resolve_model_path
from inference_worker.tiny_models import (
    QWEN_SPECIAL_START_ID,
    QWEN_SPECIAL_TOKENS,
    build_tiny_qwen3_moe,
    qwen_tiktoken_file,
)
from tests.inference_worker.tiny_checkpoint import qwen_tokenizer, tiny_cache_dir, tiny_model_dir

MULTILINGUAL = [
    "Where is my order? 📦",
    "Wie lange dauert der Versand? Größe: groß",
    "配送にはどのくらいかかりますか？",
    "运费是多少？",
    "مرحبا، أين طلبي؟",
    "배송비는 얼마인가요? 🙏🏽",
    "  spaces,\ttabs\nand newlines  ",
]


@pytest.fixture
def tiny_cache(monkeypatch):
    cache = tiny_cache_dir()
    monkeypatch.setenv("SUPPORTBOT_CACHE_DIR", str(cache))
    return cache


@pytest.fixture(scope="module")
def tiny_loaded():
    return load_model(str(tiny_model_dir()))


def test_cache_dir_follows_env(monkeypatch, tmp_path):
    monkeypatch.setenv("SUPPORTBOT_CACHE_DIR", str(tmp_path))
    assert model_cache_dir() == tmp_path
    monkeypatch.delenv("SUPPORTBOT_CACHE_DIR")
    assert model_cache_dir().parts[-2:] == (".cache", "supportbot")


def test_tiny_config_is_a_small_qwen3_moe():
    from transformers import AutoConfig

    config = AutoConfig.from_pretrained(tiny_model_dir())
    assert config.model_type == "qwen3_moe"
    assert config.num_experts == 8
    assert config.num_experts_per_tok == 2
    assert (config.hidden_size, config.num_hidden_layers) == (64, 2)
    assert (config.num_attention_heads, config.num_key_value_heads, config.head_dim) == (4, 2, 16)
    assert config.max_position_embeddings == 4096
    assert config.vocab_size == len(qwen_tokenizer())


def test_tiny_tokenizer_is_the_real_qwen_vocabulary():
    tokenizer = qwen_tokenizer()
    assert len(tokenizer) > 150_000
    for offset, token in enumerate(QWEN_SPECIAL_TOKENS[:3]):
        assert tokenizer.convert_tokens_to_ids(token) == QWEN_SPECIAL_START_ID + offset
    assert tokenizer.eos_token == "<|im_end|>"
    assert tokenizer.pad_token == "<|endoftext|>"


@lru_cache(maxsize=1)
def _tiktoken_reference():
    from qwen_tokenizer.qwen_tokenizer import QwenTokenizer

    return QwenTokenizer(str(qwen_tiktoken_file()))


@pytest.mark.parametrize("text", MULTILINGUAL)
def test_tiny_tokenizer_round_trips_and_matches_tiktoken(text):
    tokenizer = qwen_tokenizer()
    ids = tokenizer.encode(text, add_special_tokens=False)
    assert tokenizer.decode(ids) == text
    assert ids == _tiktoken_reference().encode(text)


def test_tiny_chat_template_renders_chatml():
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hallo!"},
    ]
    text = qwen_tokenizer().apply_chat_template(
        messages, add_generation_prompt=True, tokenize=False
    )
    assert text == (
        "<|im_start|>system\nBe brief.<|im_end|>\n"
        "<|im_start|>user\nHallo!<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_load_tiny_moe_by_alias(tiny_cache):
    loaded = load_model("tiny-moe")
    assert loaded.name == "tiny-moe"
    assert loaded.is_moe
    assert loaded.is_instruct
    assert {151645, 151643} <= set(loaded.eos_token_ids)  # <|im_end|>, <|endoftext|>
    assert loaded.eos_token_ids[0] == 151645
    assert loaded.tokenizer.pad_token_id is not None
    assert not loaded.model.training
    assert loaded.model.dtype == torch.float32
    assert resolve_model_path("tiny-moe") == str(tiny_cache / loader.TINY_MOE_FOLDER)


def test_tiny_forward_and_generate(tiny_loaded):
    tokenizer, model = tiny_loaded.tokenizer, tiny_loaded.model
    batch = tokenizer(["Hello", "你好，世界"], return_tensors="pt", padding=True)
    with torch.no_grad():
        logits = model(**batch).logits
    assert logits.shape[:2] == batch["input_ids"].shape
    assert logits.shape[-1] == model.config.vocab_size
    assert torch.isfinite(logits).all()
    out = model.generate(**tokenizer("Hi", return_tensors="pt"), max_new_tokens=3, do_sample=False)
    assert out.shape[1] > 1


def test_tiny_weights_are_seeded(tiny_loaded):
    from transformers import Qwen3MoeForCausalLM

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        fresh = Qwen3MoeForCausalLM(tiny_loaded.model.config)
    for name, tensor in fresh.state_dict().items():
        assert torch.equal(tensor, tiny_loaded.model.state_dict()[name]), name


def test_build_twice_reuses_the_folder():
    path = tiny_model_dir()
    weights = path / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert build_tiny_qwen3_moe(path) == path
    assert weights.stat().st_mtime_ns == before
    assert not [p for p in path.parent.iterdir() if ".tmp-" in p.name]


def test_local_folder_spec(tiny_loaded):
    assert tiny_loaded.name == str(tiny_model_dir())
    assert tiny_loaded.is_moe and tiny_loaded.is_instruct


def test_missing_local_path_fails_clearly(tmp_path):
    with pytest.raises(ModelLoadError, match="no-such-folder"):
        load_model(str(tmp_path / "no-such-folder"))


def test_folder_without_tokenizer_fails_clearly(tmp_path):
    # AutoTokenizer can hand back an (almost) empty tokenizer here instead of raising.
    for name in ("config.json", "model.safetensors"):
        os.symlink(tiny_model_dir() / name, tmp_path / name)
    with pytest.raises(ModelLoadError, match=r"(?i)tokenizer"):
        load_model(str(tmp_path))


def test_bogus_hub_id_fails_with_a_clear_error(monkeypatch):
    import huggingface_hub.constants

    # Offline mode gives the same failure as an unreachable hub, without minutes of retries.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    spec = "supportbot-tests/no-such-model"
    with pytest.raises(ModelLoadError) as excinfo:
        load_model(spec)
    message = str(excinfo.value)
    assert repr(spec) in message
    assert "hub" in message


@pytest.mark.slow
def test_bundled_gemma_converts_loads_and_generates():
    loaded = load_model("gemma")
    assert not loaded.is_instruct
    assert not loaded.is_moe
    assert loaded.eos_token_ids == (1,)  # <eos>
    assert len(loaded.tokenizer) == loaded.model.get_input_embeddings().weight.shape[0]
    text = "Hello, wörld 你好"
    ids = loaded.tokenizer.encode(text, add_special_tokens=False)
    assert loaded.tokenizer.decode(ids) == text
    batch = loaded.tokenizer("The capital of France is", return_tensors="pt")
    out = loaded.model.generate(**batch, max_new_tokens=8, do_sample=False)
    new = loaded.tokenizer.decode(out[0, batch["input_ids"].shape[1] :], skip_special_tokens=True)
    assert new.strip()
    # The cached folder is plain safetensors: no GGUF quantizer survives the conversion.
    assert getattr(loaded.model.config, "quantization_config", None) is None
    assert (model_cache_dir() / loader.GEMMA_FOLDER / "model.safetensors").is_file()
