"""All the torch: prompt prefill, batched decode, and the shared KV cache.

The running batch lives in one left-padded ``DynamicCache``: row ``i`` of the cache is
``running[i]`` of the scheduler. Newcomers are prefilled together, then their cache rows are
padded to a common length and concatenated onto the running batch, so they decode with
everyone else from the next step on. Padding is masked through ``attention_mask`` and each
row gets its own ``position_ids``, so a padded row computes exactly what it would alone.
"""

from __future__ import annotations

import inspect
import logging

import torch
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase

from inference_worker.config import SamplingDefaults
from inference_worker.sampling import build_processors, choose_next_tokens
from inference_worker.sequence import Sequence

logger = logging.getLogger(__name__)


def _left_pad(tensor: torch.Tensor, length: int, dim: int) -> torch.Tensor:
    missing = length - tensor.shape[dim]
    if missing <= 0:
        return tensor
    shape = list(tensor.shape)
    shape[dim] = missing
    return torch.cat([tensor.new_zeros(shape), tensor], dim=dim)


class ModelRunner:
    def __init__(
        self,
        model: PreTrainedModel,
        tokenizer: PreTrainedTokenizerBase,
        sampling: SamplingDefaults,
        *,
        seed: int = 0,
    ) -> None:
        self.model = model
        self.tokenizer = tokenizer
        self.device = next(model.parameters()).device
        self.sampling = sampling
        self.processors = build_processors(sampling)
        self.generator = torch.Generator(device=self.device).manual_seed(seed)
        # transformers 5.x renamed ``past_key_values`` to ``cache``; accept both spellings.
        params = inspect.signature(model.forward).parameters
        self._cache_kwarg = "cache" if "cache" in params else "past_key_values"
        self._pending: tuple[DynamicCache, torch.Tensor] | None = None
        self.cache: DynamicCache | None = None
        self.attention_mask: torch.Tensor | None = None  # [batch, cache_len], 1 = real token

    @property
    def batch_size(self) -> int:
        return 0 if self.attention_mask is None else self.attention_mask.shape[0]

    @property
    def cache_length(self) -> int:
        return 0 if self.attention_mask is None else self.attention_mask.shape[1]

    def encode(self, prompt: str, max_tokens: int) -> list[int]:
        ids = self.tokenizer(prompt, add_special_tokens=True)["input_ids"]
        # Keep the end: the newest turns matter most when a prompt is too long.
        return ids[-max_tokens:]

    @torch.inference_mode()
    def prefill(self, seqs: list[Sequence]) -> list[int]:
        """Run the prompts of ``seqs``; return each one's first token. Caches are kept aside
        until ``commit_prefill`` so a decode step in between sees only the old rows."""
        width = max(s.num_prompt_tokens for s in seqs)
        pad_id = self.tokenizer.pad_token_id or 0
        input_ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for row, seq in enumerate(seqs):
            n = seq.num_prompt_tokens
            input_ids[row, width - n :] = torch.tensor(seq.prompt_ids)
            mask[row, width - n :] = 1
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        cache = DynamicCache()
        out = self.model(
            input_ids=input_ids,
            attention_mask=mask,
            position_ids=positions,
            use_cache=True,
            logits_to_keep=1,
            **{self._cache_kwarg: cache},
        )
        self._pending = (cache, mask)
        return self._sample(out.logits[:, -1, :], seqs)

    def commit_prefill(self) -> None:
        new_cache, new_mask = self._pending
        self._pending = None
        if self.cache is None or self.attention_mask is None:
            self.cache, self.attention_mask = new_cache, new_mask
            return
        length = max(self.cache_length, new_mask.shape[1])
        merged = []
        for old_layer, new_layer in zip(self.cache.layers, new_cache.layers, strict=True):
            merged.append(
                (
                    torch.cat(
                        [
                            _left_pad(old_layer.keys, length, -2),
                            _left_pad(new_layer.keys, length, -2),
                        ]
                    ),
                    torch.cat(
                        [
                            _left_pad(old_layer.values, length, -2),
                            _left_pad(new_layer.values, length, -2),
                        ]
                    ),
                )
            )
        self.cache = DynamicCache(ddp_cache_data=merged)
        self.attention_mask = torch.cat(
            [_left_pad(self.attention_mask, length, 1), _left_pad(new_mask, length, 1)]
        )

    @torch.inference_mode()
    def decode(self, seqs: list[Sequence]) -> list[int]:
        """One token for every running row; ``seqs`` is the running batch in row order."""
        assert self.attention_mask is not None and len(seqs) == self.batch_size
        input_ids = torch.tensor([[s.last_token_id] for s in seqs], device=self.device)
        positions = self.attention_mask.sum(dim=-1, keepdim=True)  # [batch, 1]
        mask = torch.cat([self.attention_mask, self.attention_mask.new_ones((len(seqs), 1))], 1)
        out = self.model(
            input_ids=input_ids,
            attention_mask=mask,
            position_ids=positions,
            use_cache=True,
            **{self._cache_kwarg: self.cache},
        )
        self.attention_mask = mask
        return self._sample(out.logits[:, -1, :], seqs)

    def remove_rows(self, rows: list[int]) -> None:
        if not rows or self.attention_mask is None:
            return
        keep = [i for i in range(self.batch_size) if i not in set(rows)]
        if not keep:
            self.reset()
            return
        index = torch.tensor(keep, device=self.device)
        self.cache.batch_select_indices(index)
        mask = self.attention_mask[index]
        # Columns that are padding for every remaining row are dead weight: drop them.
        first_used = int(mask.any(dim=0).nonzero()[0])
        if first_used:
            mask = mask[:, first_used:]
            for layer in self.cache.layers:
                layer.keys = layer.keys[:, :, first_used:, :]
                layer.values = layer.values[:, :, first_used:, :]
        self.attention_mask = mask

    def reset(self) -> None:
        self.cache = None
        self.attention_mask = None
        self._pending = None

    def _sample(self, logits: torch.Tensor, seqs: list[Sequence]) -> list[int]:
        histories = (
            [s.all_token_ids() for s in seqs] if self.sampling.repetition_penalty != 1.0 else None
        )
        return choose_next_tokens(logits, histories, self.processors, self.sampling, self.generator)
