"""One tiny Qwen3-MoE checkpoint per test process, shared by the test modules that need it."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from functools import lru_cache
from pathlib import Path

from inference_worker.loader import TINY_MOE_FOLDER
from inference_worker.tiny_models import build_tiny_qwen3_moe


@lru_cache(maxsize=1)
def tiny_cache_dir() -> Path:
    """A private SUPPORTBOT_CACHE_DIR holding the built tiny-moe (building takes ~10 s)."""
    cache = Path(tempfile.mkdtemp(prefix="supportbot-test-cache-"))
    atexit.register(shutil.rmtree, cache, ignore_errors=True)
    build_tiny_qwen3_moe(cache / TINY_MOE_FOLDER)
    return cache


def tiny_model_dir() -> Path:
    return tiny_cache_dir() / TINY_MOE_FOLDER


@lru_cache(maxsize=1)
def qwen_tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model_dir())
