"""Next-token choice for a batch, with transformers' own logits processors."""

from __future__ import annotations

import torch
from transformers import (
    LogitsProcessorList,
    RepetitionPenaltyLogitsProcessor,
    TemperatureLogitsWarper,
    TopKLogitsWarper,
    TopPLogitsWarper,
)

from inference_worker.config import SamplingDefaults


def build_processors(sampling: SamplingDefaults) -> LogitsProcessorList:
    processors = LogitsProcessorList()
    if sampling.repetition_penalty != 1.0:
        processors.append(RepetitionPenaltyLogitsProcessor(sampling.repetition_penalty))
    if sampling.temperature > 0:
        if sampling.temperature != 1.0:
            processors.append(TemperatureLogitsWarper(sampling.temperature))
        if sampling.top_k > 0:
            processors.append(TopKLogitsWarper(sampling.top_k))
        if sampling.top_p < 1.0:
            processors.append(TopPLogitsWarper(sampling.top_p))
    return processors


def history_tensor(histories: list[list[int]], device: torch.device) -> torch.Tensor:
    """Pack ragged token histories into [batch, max_len] for the penalty processor.

    Rows are padded with their own last token: repeating a token the row already has does
    not change which tokens are penalised, while a shared pad id would penalise it for all.
    """
    width = max(len(h) for h in histories)
    rows = [h + [h[-1]] * (width - len(h)) for h in histories]
    return torch.tensor(rows, dtype=torch.long, device=device)


def choose_next_tokens(
    logits: torch.Tensor,  # [batch, vocab], float
    histories: list[list[int]] | None,
    processors: LogitsProcessorList,
    sampling: SamplingDefaults,
    generator: torch.Generator | None,
) -> list[int]:
    logits = logits.float()
    if processors:
        ids = (
            history_tensor(histories, logits.device)
            if histories is not None
            else torch.zeros((logits.shape[0], 1), dtype=torch.long, device=logits.device)
        )
        logits = processors(ids, logits)
    if sampling.temperature == 0:
        return logits.argmax(dim=-1).tolist()
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator).squeeze(-1).tolist()
