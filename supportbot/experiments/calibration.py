"""Does the results page tell the truth? Simulated experiments with known truths, read by the
page's own analysis: how often its intervals cover the truth, and how often an A/A test
peeked at every day shows a winner. The tests hold these to their bounds and
``bench/experiment_calibration.py`` prints them."""

from __future__ import annotations

from collections.abc import Sequence

from supportbot.experiments.analysis import Design, Verdict, analyse
from supportbot.experiments.simulation import SEED_TRUTHS, ArmMeta, Truth, samples, simulate

ARMS = (ArmMeta("a", "default", 1), ArmMeta("b", "candidate", 1))


def true_effects(truths: Sequence[Truth]) -> dict[str, float]:
    """The population value of each comparison the page shows, from the truths."""
    control, treatment = truths
    return {
        "escalation_rate": treatment.escalation - control.escalation,
        "containment": control.escalation - treatment.escalation,
        "handling_time": treatment.handling_median_s / control.handling_median_s,
        "response_time": treatment.reply_median_s / control.reply_median_s,
        "csat_mean": treatment.csat_mean - control.csat_mean,
        "csat_response_rate": treatment.csat_response - control.csat_response,
    }


def coverage(
    runs: int, *, visitors: int, truths: Sequence[Truth] = SEED_TRUTHS, first_seed: int = 0
) -> dict[str, float]:
    """The share of ``runs`` experiments whose interval holds the true effect, by metric."""
    effects = true_effects(truths)
    hits = dict.fromkeys(effects, 0)
    for seed in range(first_seed, first_seed + runs):
        simulated = simulate(ARMS, truths, visitors=visitors, salt=f"cover-{seed}", seed=seed)
        found = analyse(
            Design("escalation_rate", planned_visitors=visitors),
            samples(simulated, ARMS),
            bootstrap_resamples=0,
        )
        compared = found["arms"][1]["comparison"]
        for metric, effect in effects.items():
            low, high = compared[metric]["interval"]
            hits[metric] += low <= effect <= high
    return {metric: hit / runs for metric, hit in hits.items()}


def peeking(
    runs: int, *, sequential: bool, visitors: int, days: int = 14, first_seed: int = 0,
    primary: str = "escalation_rate", alpha: float = 0.05,
) -> dict[str, float]:  # fmt: skip
    """A/A experiments looked at every day: the share where the page showed a winner on
    some day, and the share where the primary metric's unadjusted p-value fell under alpha
    on some day (what reading a fixed-horizon test early would have called)."""
    design = Design(
        primary, alpha=alpha, planned_visitors=None if sequential else visitors,
        sequential=sequential,
    )  # fmt: skip
    same = (Truth(), Truth())
    page_calls = naive_calls = 0
    for seed in range(first_seed, first_seed + runs):
        simulated = simulate(ARMS, same, visitors=visitors, salt=f"aa-{seed}", days=days,
                             seed=seed)  # fmt: skip
        page = naive = False
        for day in range(1, days + 1):
            found = analyse(design, samples(simulated, ARMS, until_day=day),
                            bootstrap_resamples=0)  # fmt: skip
            page |= found["verdict"]["status"] == Verdict.WINNER
            p_value = found["arms"][1]["comparison"][primary]["p_value"]
            naive |= p_value is not None and p_value < alpha
        page_calls += page
        naive_calls += naive
    return {"page_false_winners": page_calls / runs, "naive_false_positives": naive_calls / runs}
