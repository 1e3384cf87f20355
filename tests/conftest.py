"""Shared fixtures: the tiny real model, personas (added per feature), live servers."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_moe():
    """The tiny random Qwen3-MoE (hidden 64, 2 layers, 8 experts, top-2), real tokenizer."""
    from inference_worker.loader import load_model

    return load_model("tiny-moe")
