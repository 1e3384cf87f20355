"""One metric in one arm, and one arm against the control, by the metric's kind.

Every variance is the visitor's: visitors were randomised, and a visitor's conversations are
alike (docs/experiments.md, "Statistics").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as scipy_stats

from supportbot.experiments import planning, stats
from supportbot.experiments.metrics import Kind, Metric
from supportbot.experiments.samples import ArmSample

NAN = float("nan")
# The mixture's spread for always-valid intervals (sequential mode): the size of effect the
# test is tuned to find, fixed in advance per kind: 10 % of the control's rate or mean, or
# a 10 % change of a time.
MIXING_RELATIVE_EFFECT = 0.1


@dataclass(frozen=True, slots=True)
class MeanEstimate:
    """A mean rating as a ratio of per-visitor sums, with its Welch-style standard error."""

    value: float
    standard_error: float
    units: int
    observations: int


def mean_estimate(sample: ArmSample, metric: Metric) -> MeanEstimate:
    ratio = stats.ratio(sample.counts[metric.numerator], sample.counts[metric.denominator])
    units = ratio.units
    # The linearised variance divides by n; k/(k-1) makes it the sample variance's (Welch's)
    # when every visitor gave one rating.
    variance = ratio.variance * units / (units - 1) if units > 1 else NAN
    return MeanEstimate(ratio.value, math.sqrt(variance), units, int(ratio.denominator))


def welch_means(
    control: MeanEstimate, treatment: MeanEstimate, confidence: float
) -> stats.Comparison:
    """Welch's t-test from the two means and their standard errors (``scipy.stats``'s own,
    from summary statistics); equals ``ttest_ind(equal_var=False)`` on one rating per
    visitor."""
    if min(control.units, treatment.units) < 2:
        return stats.Comparison(NAN, stats.Interval(NAN, NAN), NAN, NAN, "Welch t")
    vc, vt = control.standard_error**2, treatment.standard_error**2
    result = scipy_stats.ttest_ind_from_stats(
        treatment.value, math.sqrt(vt * treatment.units), treatment.units,
        control.value, math.sqrt(vc * control.units), control.units, equal_var=False,
    )  # fmt: skip
    se = math.sqrt(vc + vt)
    df = (vc + vt) ** 2 / (vc**2 / (control.units - 1) + vt**2 / (treatment.units - 1))
    half = scipy_stats.t.ppf(0.5 + confidence / 2, df) * se
    estimate = treatment.value - control.value
    return stats.Comparison(
        estimate, stats.Interval(estimate - half, estimate + half), float(result.pvalue), se,
        "Welch t",
    )  # fmt: skip


def describe_arm(sample: ArmSample, metric: Metric, confidence: float) -> dict:
    """The metric's value in one arm, with its interval and what it was computed from."""
    if metric.kind is Kind.PROPORTION:
        ratio = stats.ratio(sample.counts[metric.numerator], sample.counts[metric.denominator])
        interval = stats.proportion_interval(ratio, confidence)
        return {
            "value": finite(ratio.value),
            "interval": pair(interval),
            "numerator": int(ratio.numerator),
            "denominator": int(ratio.denominator),
            "design_effect": finite(ratio.design_effect),
        }
    if metric.kind is Kind.MEAN:
        estimate = mean_estimate(sample, metric)
        half = (
            scipy_stats.t.ppf(0.5 + confidence / 2, estimate.units - 1) * estimate.standard_error
            if estimate.units > 1
            else NAN
        )
        return {
            "value": finite(estimate.value),
            "interval": pair(stats.Interval(estimate.value - half, estimate.value + half)),
            "n": estimate.observations,
            "visitors": estimate.units,
        }
    values, _owner = sample.observations[metric.values]
    logs = sample.unit_means(metric.values, log=True)
    geometric, interval = NAN, stats.Interval(NAN, NAN)
    if logs.size > 1:
        mean, se = logs.mean(), scipy_stats.sem(logs)
        half = scipy_stats.t.ppf(0.5 + confidence / 2, logs.size - 1) * se
        geometric = math.exp(mean)
        interval = stats.Interval(math.exp(mean - half), math.exp(mean + half))
    return {
        "median": finite(float(np.median(values))) if values.size else None,
        "geometric_mean": finite(geometric),
        "interval": pair(interval),
        "n": int(values.size),
        "visitors": int(logs.size),
    }


def compare(
    control: ArmSample,
    treatment: ArmSample,
    metric: Metric,
    *,
    confidence: float,
    sequential: bool,
    bootstrap_resamples: int,
    seed: int,
) -> dict:
    """The treatment against the control on one metric: the estimate (a difference, or a
    ratio for times), its interval and the two-sided p-value; in sequential mode the
    interval and p-value are always valid (mSPRT)."""
    extra: dict = {}
    if metric.kind is Kind.PROPORTION:
        c = stats.ratio(control.counts[metric.numerator], control.counts[metric.denominator])
        t = stats.ratio(treatment.counts[metric.numerator], treatment.counts[metric.denominator])
        comparison = stats.proportion_difference(c, t, confidence)
        baseline = c.value
        extra["relative"] = finite(comparison.estimate / c.value) if c.value else None
    elif metric.kind is Kind.MEAN:
        c, t = mean_estimate(control, metric), mean_estimate(treatment, metric)
        comparison = welch_means(c, t, confidence)
        baseline = c.value
    else:
        comparison = stats.welch(
            control.unit_means(metric.values, log=True),
            treatment.unit_means(metric.values, log=True),
            confidence,
            log=True,
        )
        baseline = 1.0
        if bootstrap_resamples:
            extra["median_difference"] = median_difference(
                control, treatment, metric, confidence, bootstrap_resamples, seed
            )
    interval, p_value = comparison.interval, comparison.p_value
    if sequential:
        interval, p_value = always_valid(comparison, metric, baseline, 1 - confidence)
    return {
        "estimate": finite(comparison.estimate),
        "scale": "ratio" if metric.kind is Kind.TIME else "difference",
        "interval": pair(interval),
        "p_value": finite(p_value),
        "standard_error": finite(comparison.standard_error),
        "test": comparison.test + (" (always valid, mSPRT)" if sequential else ""),
        **extra,
        "_comparison": comparison,
    }


def always_valid(
    comparison: stats.Comparison, metric: Metric, baseline: float, alpha: float
) -> tuple[stats.Interval, float]:
    se = comparison.standard_error
    if not math.isfinite(se) or se <= 0 or not math.isfinite(baseline):
        return stats.Interval(NAN, NAN), NAN
    if metric.kind is Kind.TIME:
        estimate, tau = math.log(comparison.estimate), math.log(1 + MIXING_RELATIVE_EFFECT)
    else:
        estimate = comparison.estimate
        tau = max(abs(baseline) * MIXING_RELATIVE_EFFECT, 1e-3)
    interval, p_value = planning.always_valid_interval(
        estimate, se**2, alpha=alpha, mixing_variance=tau**2
    )
    if metric.kind is Kind.TIME:
        interval = stats.Interval(math.exp(interval.low), math.exp(interval.high))
    return interval, p_value


def median_difference(
    control: ArmSample, treatment: ArmSample, metric: Metric, confidence: float,
    resamples: int, seed: int,
) -> dict:  # fmt: skip
    """Median (treatment) minus median (control) in seconds, with a cluster-bootstrap
    interval over visitors."""
    c_values, c_owner = control.observations[metric.values]
    t_values, t_owner = treatment.observations[metric.values]
    if not c_values.size or not t_values.size:
        return {"estimate": None, "interval": [None, None]}
    interval = stats.bootstrap_median_difference(
        c_values, c_owner, t_values, t_owner,
        confidence=confidence, n_resamples=resamples, random_state=seed,
    )  # fmt: skip
    return {
        "estimate": float(np.median(t_values) - np.median(c_values)),
        "interval": pair(interval),
    }


def finite(value: float | None) -> float | None:
    """JSON has no NaN: an undefined figure is null."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def pair(interval: stats.Interval) -> list[float | None]:
    return [finite(interval.low), finite(interval.high)]
