"""One variant's answer to a replayed turn, the replay's figures per variant, and the
candidate's differences from the default (docs/replay.md defines each key)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from supportbot.serving.engines import VariantSettings


@dataclass(slots=True)
class Answer:
    """One variant's answer to one turn, and what the product's checks say about it."""

    prompt: str  # exactly what the engine was sent
    text: str
    tokens: int
    finish_reason: str
    # What the live guard would have done: replied, blocked (safety), replaced (a quality
    # check), failed (nothing to show).
    outcome: str
    ttft_s: float | None  # job handed over -> first text past the guard
    complete_s: float | None
    language_ok: bool | None = None  # None: too few letters to judge
    grounded: bool | None = None  # None: no text
    safety: tuple[str, ...] | None = None  # flagged categories; None: no text


def _share(hits: int, total: int) -> dict[str, Any]:
    return {"rate": round(hits / total, 4) if total else None, "numerator": hits,
            "denominator": total}  # fmt: skip


LENGTH, LATENCY = ("mean", "p50"), ("p50", "p90")


def _spread(values: list[float], stats: tuple[str, ...], digits: int) -> dict[str, Any]:
    found: dict[str, Any] = {"n": len(values)}
    for name in stats:
        if not values:
            found[name] = None
        elif name == "mean":
            found[name] = round(float(np.mean(values)), digits)
        else:  # pNN, interpolated linearly as the dashboard's percentiles are
            found[name] = round(float(np.percentile(values, int(name[1:]))), digits)
    return found


def variant_metrics(variant: VariantSettings, answers: list[Answer]) -> dict[str, Any]:
    written = [a for a in answers if a.outcome != "failed"]
    judged = [a for a in written if a.language_ok is not None]
    checked = [a for a in written if a.grounded is not None]
    flagged = [a for a in checked if a.safety]
    return {
        "model": variant.model,
        "max_new_tokens": variant.max_new_tokens,
        "turns": len(answers),
        "errors": len(answers) - len(written),
        "outcomes": dict(Counter(a.outcome for a in answers)),
        "language_match": _share(sum(bool(a.language_ok) for a in judged), len(judged)),
        "grounded": _share(sum(bool(a.grounded) for a in checked), len(checked)),
        "safety_flagged": {
            **_share(len(flagged), len(checked)),
            "categories": dict(Counter(c for a in flagged for c in a.safety or ())),
        },
        "reply_tokens": _spread([a.tokens for a in written], LENGTH, 2),
        "reply_chars": _spread([len(a.text) for a in written], LENGTH, 2),
        "ttft_s": _spread([a.ttft_s for a in written if a.ttft_s is not None], LATENCY, 4),
        "complete_s": _spread(
            [a.complete_s for a in written if a.complete_s is not None], LATENCY, 4
        ),
    }


# Compared in "differences", by their place in a variant's figures.
COMPARED = (
    "language_match.rate", "grounded.rate", "safety_flagged.rate", "errors",
    "reply_tokens.mean", "reply_tokens.p50", "reply_chars.mean", "reply_chars.p50",
    "ttft_s.p50", "ttft_s.p90", "complete_s.p50", "complete_s.p90",
)  # fmt: skip


def metric_at(metrics: dict[str, Any], path: str) -> Any:
    """The figure at ``path`` ("ttft_s.p50") of one variant's metrics."""
    for key in path.split("."):
        metrics = metrics[key]
    return metrics


def differences(candidate: dict[str, Any], default: dict[str, Any]) -> dict[str, float | None]:
    """Candidate minus default, per compared figure; None where either side has none."""
    found: dict[str, float | None] = {}
    for path in COMPARED:
        mine, theirs = metric_at(candidate, path), metric_at(default, path)
        found[path] = None if mine is None or theirs is None else round(mine - theirs, 4)
    return found
