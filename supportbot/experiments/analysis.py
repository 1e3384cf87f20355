"""An experiment's results from its arms' samples: the sample-ratio check first, each arm's
figures, each treatment against the control with Holm's correction across arms and metrics,
guardrails as non-inferiority tests, power for the planned size, and the verdict.

Pure: the samples come from the dashboard's facts (``analytics.experiment_results``) or
from a simulation (``simulation``), so tests and calibration run the page's own arithmetic.
docs/experiments.md says what each figure means and when a winner is declared.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from supportbot.experiments import planning, stats
from supportbot.experiments.comparisons import compare, describe_arm, finite
from supportbot.experiments.metrics import METRICS, Kind, Metric, metric
from supportbot.experiments.samples import ArmSample

SRM_THRESHOLD = 0.001
PLANNING_POWER = 0.8


@dataclass(frozen=True, slots=True)
class Design:
    """What was declared before the start."""

    primary_metric: str
    guardrails: list[dict] = field(default_factory=list)
    alpha: float = 0.05
    planned_visitors: int | None = None
    sequential: bool = False


class Verdict:
    NOT_ENOUGH_DATA = "not_enough_data"
    SAMPLE_RATIO_MISMATCH = "sample_ratio_mismatch"
    PROVISIONAL = "provisional"
    NO_WINNER = "no_winner"
    WINNER = "winner"


def analyse(
    design: Design, arms: Sequence[ArmSample], *, bootstrap_resamples: int = 2000, seed: int = 0
) -> dict:
    """The results document (the JSON API's body, less the experiment's own fields)."""
    control = next((arm for arm in arms if arm.is_control), None)
    if control is None:
        raise ValueError("an experiment needs a control arm")
    treatments = [arm for arm in arms if arm is not control]
    confidence = 1 - design.alpha
    primary = metric(design.primary_metric)
    srm = sample_ratio(arms)
    comparisons = {
        arm.name: {
            m.name: compare(
                control,
                arm,
                m,
                confidence=confidence,
                sequential=design.sequential,
                bootstrap_resamples=bootstrap_resamples,
                seed=seed,
            )
            for m in METRICS.values()
        }
        for arm in treatments
    }
    correct_for_multiplicity(comparisons, design.alpha)
    guardrails = {arm.name: guardrail_checks(design, comparisons[arm.name]) for arm in treatments}
    visitors = sum(arm.visitors for arm in arms)
    provisional = not design.sequential and (
        design.planned_visitors is None or visitors < design.planned_visitors
    )
    verdict = decide(design, primary, control, treatments, comparisons, guardrails, srm,
                     provisional)  # fmt: skip
    for by_metric in comparisons.values():
        for found in by_metric.values():
            found.pop("_comparison")
    return {
        "mode": "sequential" if design.sequential else "fixed_horizon",
        "alpha": design.alpha,
        "primary_metric": primary.name,
        "metrics": [m.describe() for m in METRICS.values()],
        "visitors": visitors,
        "conversations": sum(arm.conversations for arm in arms),
        "sample_ratio": srm,
        "provisional": provisional,
        "power": plan_power(design, primary, control, treatments, visitors),
        "verdict": verdict,
        "arms": [
            {
                "name": arm.name,
                "variant": arm.variant,
                "is_control": arm.is_control,
                "weight": arm.weight,
                "visitors": arm.visitors,
                "conversations": arm.conversations,
                "metrics": {m.name: describe_arm(arm, m, confidence) for m in METRICS.values()},
                "comparison": comparisons.get(arm.name),
                "guardrails": guardrails.get(arm.name),
            }
            for arm in arms
        ],
    }


def sample_ratio(arms: Sequence[ArmSample]) -> dict:
    """Visitors per arm against the weights (chi-square); p < 0.001 means the split is
    broken (a bug in assignment, logging or filtering) and no result can be trusted.
    Stopped arms take no new visitors, so only the open ones are checked."""
    arms = [arm for arm in arms if arm.active]
    observed = [arm.visitors for arm in arms]
    statistic, p_value = stats.sample_ratio_mismatch(observed, [arm.weight for arm in arms])
    total, weights = sum(observed), sum(arm.weight for arm in arms)
    return {
        "arms": [arm.name for arm in arms],
        "observed": observed,
        "expected": [total * arm.weight / weights for arm in arms],
        "statistic": finite(statistic),
        "p_value": finite(p_value),
        "threshold": SRM_THRESHOLD,
        "mismatch": bool(p_value < SRM_THRESHOLD),
    }


def correct_for_multiplicity(comparisons: dict[str, dict[str, dict]], alpha: float) -> None:
    """Holm's step-down adjustment over every (arm, metric) comparison shown."""
    found = [c for by_metric in comparisons.values() for c in by_metric.values()]
    adjusted = stats.holm([math.nan if c["p_value"] is None else c["p_value"] for c in found])
    for comparison, p_holm in zip(found, adjusted, strict=True):
        comparison["p_holm"] = finite(p_holm)
        comparison["significant"] = p_holm < alpha if math.isfinite(p_holm) else False


def improvement(metric_: Metric, comparison: dict) -> bool | None:
    """Whether the treatment is better on ``metric_`` (None: no estimate, or no change)."""
    estimate = comparison["estimate"]
    if estimate is None:
        return None
    change = math.log(estimate) if metric_.kind is Kind.TIME else estimate
    if change == 0:
        return None
    return (change > 0) == metric_.higher_is_better


def guardrail_checks(design: Design, comparisons: dict[str, dict]) -> list[dict]:
    """Each guardrail as a one-sided non-inferiority test at the experiment's alpha."""
    checks = []
    for guardrail in design.guardrails:
        metric_ = metric(guardrail["metric"])
        result = stats.non_inferiority(
            comparisons[metric_.name]["_comparison"], guardrail["margin"],
            higher_is_better=metric_.higher_is_better, ratio=metric_.kind is Kind.TIME,
            alpha=design.alpha,
        )  # fmt: skip
        checks.append({
            "metric": metric_.name,
            "margin": guardrail["margin"],
            "bound": finite(result.bound),
            "p_value": finite(result.p_value),
            "passed": bool(result.passed),
        })  # fmt: skip
    return checks


def decide(
    design: Design, primary: Metric, control: ArmSample, treatments: list[ArmSample],
    comparisons: dict, guardrails: dict, srm: dict, provisional: bool,
) -> dict:  # fmt: skip
    """No winner while the split is broken or the planned size is not reached (fixed
    horizon); then the treatment significantly better on the primary metric, after Holm,
    with every guardrail passed; the control when every treatment is significantly worse."""
    primary_results = {arm.name: comparisons[arm.name][primary.name] for arm in treatments}
    too_few = any(units_with(arm, primary) < 2 for arm in (control, *treatments))
    if too_few or not treatments or any(r["estimate"] is None for r in primary_results.values()):
        return _verdict(Verdict.NOT_ENOUGH_DATA, None,
                        f"not enough visitors in every arm to compare {primary.label}")  # fmt: skip
    if srm["mismatch"]:
        return _verdict(
            Verdict.SAMPLE_RATIO_MISMATCH, None,
            f"the visitors' split differs from the weights (p = {srm['p_value']:.2g}); "
            "find why before reading any result",
        )  # fmt: skip
    if provisional:
        planned = design.planned_visitors
        why = (
            f"fixed horizon: {planned} visitors planned; results are provisional until then"
            if planned
            else "fixed horizon without a planned size: declare one, or run sequentially"
        )
        return _verdict(Verdict.PROVISIONAL, None, why)
    better = [
        arm for arm in treatments
        if primary_results[arm.name]["significant"]
        and improvement(primary, primary_results[arm.name])
        and all(check["passed"] for check in guardrails[arm.name])
    ]  # fmt: skip
    if better:
        best = max(better, key=lambda arm: _gain(primary, primary_results[arm.name]))
        return _verdict(Verdict.WINNER, best.name,
                        f"{best.name} is better on {primary.label}, guardrails held")  # fmt: skip
    if all(r["significant"] and improvement(primary, r) is False for r in primary_results.values()):
        return _verdict(Verdict.WINNER, control.name,
                        f"every treatment is worse on {primary.label}")  # fmt: skip
    failed = [arm.name for arm in treatments if not all(c["passed"] for c in guardrails[arm.name])]
    why = f"no arm is significantly better on {primary.label}"
    if failed:
        why += f"; guardrails not shown to hold for {', '.join(failed)}"
    return _verdict(Verdict.NO_WINNER, None, why)


def _gain(primary: Metric, result: dict) -> float:
    change = math.log(result["estimate"]) if primary.kind is Kind.TIME else result["estimate"]
    return change if primary.higher_is_better else -change


def _verdict(status: str, winner: str | None, reason: str) -> dict:
    return {"status": status, "winner": winner, "reason": reason}


def plan_power(
    design: Design, primary: Metric, control: ArmSample, treatments: list[ArmSample],
    visitors: int,
) -> dict:  # fmt: skip
    """The smallest true difference on the primary metric the planned size finds with at
    least 80 % power after the correction, from the spread seen so far; and how far the
    experiment has come."""
    planned = design.planned_visitors
    found = {
        "planned_visitors": planned,
        "progress": finite(visitors / planned) if planned else None,
        "power": PLANNING_POWER,
        "minimum_detectable_effect": None,
        "relative": None,
        "scale": "ratio" if primary.kind is Kind.TIME else "difference",
    }
    weights = control.weight + sum(arm.weight for arm in treatments)
    sd_control, baseline = unit_spread(control, primary)
    if not planned or not treatments or not math.isfinite(sd_control) or sd_control <= 0:
        return found
    # Bonferroni over the Holm family (every arm and metric): Holm's threshold for the
    # primary is never stricter, so the planned power is a floor.
    alpha = design.alpha / (len(treatments) * len(METRICS))
    n_control = planned * control.weight / weights
    effects = []
    for arm in treatments:
        sd, _ = unit_spread(arm, primary)
        sd = sd if math.isfinite(sd) and sd > 0 else sd_control
        effects.append(planning.minimum_detectable_effect(
            sd_control, sd, n_control, planned * arm.weight / weights,
            alpha=alpha, power=PLANNING_POWER,
        ))  # fmt: skip
    effect = max(effects)
    if primary.kind is Kind.TIME:  # found on log scale: a ratio of geometric means
        found["minimum_detectable_effect"] = finite(math.exp(-effect))
        found["relative"] = finite(1 - math.exp(-effect))
    else:
        found["minimum_detectable_effect"] = finite(effect)
        found["relative"] = finite(effect / baseline) if baseline else None
    return found


def units_with(sample: ArmSample, metric_: Metric) -> int:
    """Visitors of the arm who have the metric (a rated conversation, a timed one...)."""
    if metric_.kind is Kind.PROPORTION:
        return int(np.count_nonzero(sample.counts[metric_.denominator]))
    return int(np.unique(sample.observations[metric_.values][1]).size)


def unit_spread(sample: ArmSample, metric_: Metric) -> tuple[float, float]:
    """(spread per visitor, value) of a metric's estimate: the spread that, divided by the
    square root of the arm's visitors, gives its standard error (visitors who have no
    observation of the metric, such as no rating, count as the share they are)."""
    if metric_.kind is Kind.TIME:
        logs = sample.unit_means(metric_.values, log=True)
        if logs.size < 2:
            return math.nan, math.nan
        return float(logs.std(ddof=1)) * math.sqrt(sample.visitors / logs.size), math.nan
    ratio = stats.ratio(sample.counts[metric_.numerator], sample.counts[metric_.denominator])
    if ratio.units < 2:
        return math.nan, ratio.value
    return math.sqrt(ratio.variance * sample.visitors), ratio.value
