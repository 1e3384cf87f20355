"""Experiment statistics: each equals scipy's reference where one exists, and clustering by
visitor widens what treating conversations as independent would make too narrow."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from supportbot.experiments.planning import always_valid_interval, minimum_detectable_effect, power
from supportbot.experiments.stats import (
    Comparison,
    Interval,
    bootstrap_median_difference,
    holm,
    non_inferiority,
    proportion_difference,
    proportion_interval,
    ratio,
    sample_ratio_mismatch,
    welch,
    wilson,
)


def one_each(successes: int, n: int):
    """Per-visitor sums when every visitor had one conversation."""
    return np.r_[np.ones(successes), np.zeros(n - successes)], np.ones(n)


def clustered(rng: np.random.Generator, visitors: int, rate: float):
    """Visitors with 1-5 conversations that all share the visitor's outcome."""
    sizes = rng.integers(1, 6, visitors).astype(float)
    return sizes * (rng.random(visitors) < rate), sizes


def test_ratio_with_one_conversation_per_visitor_has_binomial_variance():
    r = ratio(*one_each(30, 120))

    assert (r.value, r.numerator, r.denominator, r.units) == (0.25, 30, 120, 120)
    assert r.variance == pytest.approx(0.25 * 0.75 / 120, rel=1e-12)
    assert r.design_effect == pytest.approx(1.0, rel=1e-12)


def test_ratio_counts_a_visitor_once_when_their_conversations_agree():
    # Visitors with 1, 2 and 3 conversations; only the third visitor's succeeded, all three.
    r = ratio([0, 0, 3], [1, 2, 3])

    # value 3/6; residuals x - y/2: -0.5, -1, 1.5; squares 0.25 + 1 + 2.25 = 3.5.
    assert r.value == 0.5
    assert r.variance == pytest.approx(3.5 / 36)
    # Binomial variance 0.25 / 6, so the design effect is (3.5 / 36) / (1 / 24) = 7 / 3.
    assert r.design_effect == pytest.approx(7 / 3)


def test_ratio_without_conversations_has_no_value():
    r = ratio([0, 0], [0, 0])

    assert math.isnan(r.value) and math.isnan(r.variance)
    assert (r.units, r.design_effect) == (0, 1.0)
    assert math.isnan(proportion_interval(r).low)


@pytest.mark.parametrize(
    ("k", "n", "confidence"), [(0, 7, 0.95), (3, 10, 0.95), (7, 7, 0.9), (37, 250, 0.99)]
)
def test_wilson_equals_scipy_binomtest(k, n, confidence):
    expected = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")

    got = wilson(k, n, confidence)

    assert_allclose([got.low, got.high], [expected.low, expected.high], rtol=1e-12, atol=1e-15)
    # No successes (or no failures) cannot rule out 0 (or 1): those ends are exact.
    assert (got.low == 0.0) == (k == 0) and (got.high == 1.0) == (k == n)


def test_wilson_at_a_fractional_size_solves_the_score_equation():
    successes, trials, z = 12.3, 40.7, stats.norm.ppf(0.975)

    got = wilson(successes, trials)

    # Both ends are the p where the score statistic is exactly z.
    for p in (got.low, got.high):
        assert (successes / trials - p) ** 2 == pytest.approx(z * z * p * (1 - p) / trials)
    assert math.isnan(wilson(0, 0).low)


def test_proportion_interval_is_plain_wilson_with_one_conversation_per_visitor():
    got = proportion_interval(ratio(*one_each(17, 80)), 0.9)
    expected = wilson(17, 80, 0.9)

    assert_allclose([got.low, got.high], [expected.low, expected.high], rtol=1e-9)


def test_proportion_interval_shrinks_the_sample_by_the_design_effect():
    # 20 visitors with 3 conversations each, all alike: the design effect is exactly 3.
    r = ratio(np.r_[np.full(6, 3.0), np.zeros(14)], np.full(20, 3.0))

    got = proportion_interval(r)

    expected = wilson(0.3 * 20, 20)  # 60 conversations carry what 20 independent ones would
    assert_allclose([got.low, got.high], [expected.low, expected.high], rtol=1e-9)
    naive = wilson(18, 60)
    assert got.high - got.low > naive.high - naive.low


def test_proportion_difference_is_chi_square_and_pooled_z_with_one_conversation_per_visitor():
    control, treatment = ratio(*one_each(40, 200)), ratio(*one_each(62, 210))

    got = proportion_difference(control, treatment, confidence=0.9)

    table = [[40, 160], [62, 148]]
    assert_allclose(got.p_value, stats.chi2_contingency(table, correction=False).pvalue, rtol=1e-9)
    pooled = 102 / 410
    z = (62 / 210 - 40 / 200) / math.sqrt(pooled * (1 - pooled) * (1 / 200 + 1 / 210))
    assert_allclose(got.p_value, 2 * stats.norm.sf(abs(z)), rtol=1e-9)
    se = math.sqrt(0.2 * 0.8 / 200 + (62 / 210) * (148 / 210) / 210)
    assert got.estimate == pytest.approx(62 / 210 - 0.2)
    assert got.standard_error == pytest.approx(se)
    half = stats.norm.ppf(0.95) * se
    assert_allclose(
        [got.interval.low, got.interval.high], [got.estimate - half, got.estimate + half]
    )
    assert got.test == "Rao-Scott chi-square"


def test_proportion_difference_divides_chi_square_by_the_pooled_design_effect():
    rng = np.random.default_rng(7)
    (xc, yc), (xt, yt) = clustered(rng, 300, 0.2), clustered(rng, 300, 0.26)
    control, treatment = ratio(xc, yc), ratio(xt, yt)

    got = proportion_difference(control, treatment)

    pooled = ratio(np.r_[xc, xt], np.r_[yc, yt])
    assert pooled.design_effect > 2
    table = [[xc.sum(), (yc - xc).sum()], [xt.sum(), (yt - xt).sum()]]
    naive = stats.chi2_contingency(table, correction=False)
    assert_allclose(got.p_value, stats.chi2.sf(naive.statistic / pooled.design_effect, 1))
    assert got.p_value > naive.pvalue


@pytest.mark.parametrize(
    ("control", "treatment", "p_value"),
    [
        (([0, 0], [2, 3]), ([0], [4]), 1.0),  # nobody succeeded
        (([2, 3], [2, 3]), ([4], [4]), 1.0),  # everybody did
        (([0], [0]), ([1, 0], [1, 1]), math.nan),  # no conversations in control
    ],
)
def test_proportion_difference_on_degenerate_tables_warns_nothing(control, treatment, p_value):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = proportion_difference(ratio(*control), ratio(*treatment))

    assert got.p_value == p_value or (math.isnan(p_value) and math.isnan(got.p_value))


def test_welch_equals_scipy_ttest_ind():
    rng = np.random.default_rng(3)
    control, treatment = rng.normal(4.0, 1.0, 40), rng.normal(4.4, 2.0, 55)

    got = welch(control, treatment, confidence=0.9)

    expected = stats.ttest_ind(treatment, control, equal_var=False)
    ci = expected.confidence_interval(confidence_level=0.9)
    assert got.estimate == pytest.approx(treatment.mean() - control.mean())
    assert got.p_value == pytest.approx(expected.pvalue)
    assert_allclose([got.interval.low, got.interval.high], [ci.low, ci.high])
    assert got.standard_error == pytest.approx(got.estimate / expected.statistic)
    assert got.test == "Welch t"


def test_welch_on_log_scale_compares_geometric_means():
    rng = np.random.default_rng(4)
    control, treatment = rng.normal(5.0, 0.6, 50), rng.normal(4.8, 0.5, 45)

    got = welch(control, treatment, log=True)

    ci = stats.ttest_ind(treatment, control, equal_var=False).confidence_interval()
    assert got.estimate == pytest.approx(math.exp(treatment.mean() - control.mean()))
    assert_allclose([got.interval.low, got.interval.high], np.exp([ci.low, ci.high]))
    assert got.standard_error == pytest.approx(welch(control, treatment).standard_error)
    assert got.test == "Welch t on log scale"


def test_welch_without_spread_reports_the_exact_difference_quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        same, shifted = welch([4, 4, 4], [4, 4]), welch([4, 4, 4], [5, 5])

    assert (same.p_value, same.interval) == (1.0, Interval(0.0, 0.0))
    assert (shifted.p_value, shifted.interval) == (0.0, Interval(1.0, 1.0))


def test_welch_needs_two_visitors_per_arm():
    got = welch([1.0], [1.0, 2.0, 3.0])

    assert math.isnan(got.estimate) and math.isnan(got.p_value) and math.isnan(got.interval.low)


Z95 = 1.6448536269514722  # one-sided 95%


@pytest.mark.parametrize(
    ("estimate", "margin", "higher_is_better", "ratio_scale", "z", "bound"),
    [
        # A difference of -0.01 +- 0.01 is one standard error clear of a margin of -0.02.
        (-0.01, 0.02, True, False, 1.0, -0.01 - Z95 * 0.01),
        (0.01, 0.02, False, False, 1.0, 0.01 + Z95 * 0.01),
        # Ratios are tested on the log scale, against log(1 + margin) or log(1 - margin).
        (1.01, 0.05, False, True, math.log(1.05 / 1.01) / 0.01, 1.01 * math.exp(Z95 * 0.01)),
        (0.99, 0.05, True, True, math.log(0.99 / 0.95) / 0.01, 0.99 * math.exp(-Z95 * 0.01)),
    ],
)  # fmt: skip
def test_non_inferiority_is_one_sided_at_the_margin(
    estimate, margin, higher_is_better, ratio_scale, z, bound
):
    comparison = Comparison(estimate, Interval(math.nan, math.nan), 0.5, 0.01, "any")

    got = non_inferiority(comparison, margin, higher_is_better=higher_is_better, ratio=ratio_scale)

    assert got.p_value == pytest.approx(stats.norm.sf(z))
    assert got.bound == pytest.approx(bound)
    assert got.passed == (got.p_value < 0.05) and got.margin == margin


def test_non_inferiority_fails_when_the_bound_crosses_the_margin():
    comparison = Comparison(-0.01, Interval(math.nan, math.nan), 0.5, 0.01, "any")

    got = non_inferiority(comparison, 0.02, higher_is_better=True)
    looser = non_inferiority(comparison, 0.03, higher_is_better=True)

    assert not got.passed and got.bound < -0.02
    assert looser.passed and looser.bound > -0.03


def test_bootstrap_with_one_conversation_per_visitor_equals_scipy_bootstrap():
    rng = np.random.default_rng(5)
    control, treatment = rng.exponential(3.0, 15), rng.exponential(2.5, 20)  # odd and even

    got = bootstrap_median_difference(
        control, np.arange(15), treatment, np.arange(20), n_resamples=999, random_state=11
    )

    expected = stats.bootstrap(
        (control, treatment),
        lambda a, b, axis: np.median(b, axis=axis) - np.median(a, axis=axis),
        method="percentile",
        paired=False,
        n_resamples=999,
        rng=11,
    ).confidence_interval
    assert_allclose([got.low, got.high], [expected.low, expected.high], rtol=1e-12)


def test_bootstrap_takes_the_median_over_all_conversations_of_the_drawn_visitors():
    rng = np.random.default_rng(6)
    control_units, treatment_units = rng.integers(0, 12, 40), rng.integers(0, 9, 30)
    control, treatment = rng.normal(0, 1, 40), rng.normal(0.5, 1, 30)
    groups = [
        [values[units == u] for u in np.unique(units)]
        for values, units in ((control, control_units), (treatment, treatment_units))
    ]

    def expanded_median(drawn, arm):
        return np.array([np.median(np.concatenate([groups[arm][i] for i in row])) for row in drawn])

    def reference(c, t, axis):
        c, t = np.atleast_2d(c), np.atleast_2d(t)
        return expanded_median(t, 1) - expanded_median(c, 0)

    got = bootstrap_median_difference(
        control, control_units, treatment, treatment_units, n_resamples=300, random_state=2
    )

    expected = stats.bootstrap(
        (np.arange(len(groups[0])), np.arange(len(groups[1]))),
        reference,
        vectorized=True,
        method="percentile",
        n_resamples=300,
        rng=2,
    ).confidence_interval
    assert_allclose([got.low, got.high], [expected.low, expected.high], rtol=1e-12)


def test_bootstrap_resampling_visitors_is_wider_than_resampling_conversations():
    rng = np.random.default_rng(8)
    units = np.repeat(np.arange(30), 10)  # 30 visitors, 10 nearly identical conversations each
    control = np.repeat(rng.normal(0, 1, 30), 10) + rng.normal(0, 0.05, 300)
    treatment = np.repeat(rng.normal(0, 1, 30), 10) + rng.normal(0, 0.05, 300)

    visitors = bootstrap_median_difference(control, units, treatment, units)
    conversations = bootstrap_median_difference(control, np.arange(300), treatment, np.arange(300))

    assert visitors.high - visitors.low > 2 * (conversations.high - conversations.low)


def test_bootstrap_without_visitors_has_no_interval():
    got = bootstrap_median_difference([], [], [1.0, 2.0], [0, 1])

    assert math.isnan(got.low) and math.isnan(got.high)


def test_sample_ratio_mismatch_equals_scipy_chisquare():
    expected = stats.chisquare([520, 980, 505], f_exp=[2005 / 4, 2005 / 2, 2005 / 4])

    statistic, p_value = sample_ratio_mismatch([520, 980, 505], [1, 2, 1])

    assert_allclose([statistic, p_value], [expected.statistic, expected.pvalue])
    assert sample_ratio_mismatch([10], [1]) == (0.0, 1.0)
    assert sample_ratio_mismatch([0, 0], [1, 1]) == (0.0, 1.0)


def test_holm_adjusts_step_down_in_input_order():
    # Sorted: 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 = 0.02, 0.03, 0.06, 0.04; the running
    # maximum lifts the last to 0.06.
    assert holm([0.03, 0.04, 0.01, 0.005]) == pytest.approx([0.06, 0.06, 0.03, 0.02])


def test_holm_leaves_nan_out_of_the_family_and_caps_at_one():
    got = holm([0.02, math.nan, 0.6, 0.7])

    # Three in the family: 3 * 0.02, then 2 * 0.6 capped at 1, and 0.7 lifted to that 1.
    assert got[0] == pytest.approx(0.06) and math.isnan(got[1]) and got[2:] == [1.0, 1.0]
    assert holm([]) == []


def test_power_at_the_minimum_detectable_effect_is_the_planned_power():
    mde = minimum_detectable_effect(1.0, 1.5, 400, 300, alpha=0.05, power=0.8)

    se = math.sqrt(1 / 400 + 2.25 / 300)
    assert mde == pytest.approx((1.959963984540054 + 0.8416212335729143) * se)
    assert power(mde, 1.0, 1.5, 400, 300) == pytest.approx(0.8, abs=1e-5)
    assert power(-mde, 1.0, 1.5, 400, 300) == pytest.approx(0.8, abs=1e-5)
    assert power(0.0, 1.0, 1.5, 400, 300) == pytest.approx(0.05)


def test_always_valid_interval_is_wider_than_the_fixed_horizon_one():
    for variance in (1e-4, 1e-2, 1.0):
        interval, _ = always_valid_interval(0.3, variance, mixing_variance=0.01)

        fixed = 1.959963984540054 * math.sqrt(variance)
        assert interval.high - 0.3 > fixed
        assert interval.low == pytest.approx(0.3 - (interval.high - 0.3))


def test_always_valid_interval_excludes_zero_exactly_when_p_is_below_alpha():
    for estimate in np.linspace(-0.2, 0.2, 81):
        interval, p_value = always_valid_interval(estimate, 1e-3, alpha=0.1, mixing_variance=0.01)

        assert (interval.low > 0 or interval.high < 0) == (p_value < 0.1)


def test_peeking_at_the_always_valid_p_value_keeps_the_false_positive_rate():
    rng = np.random.default_rng(12)
    experiments, looks, per_look = 1000, 20, 50
    data = rng.normal(0, 1, (experiments, looks, 2, per_look))
    n = per_look * np.arange(1, looks + 1)[None, :, None]
    sums, squares = data.sum(-1).cumsum(1), (data**2).sum(-1).cumsum(1)
    means, variances = sums / n, (squares - sums**2 / n) / (n - 1)
    estimate = means[..., 1] - means[..., 0]
    variance = (variances[..., 1] + variances[..., 0]) / n[..., 0]

    p_values = np.array(
        [
            [
                always_valid_interval(e, v, mixing_variance=0.01)[1]
                for e, v in zip(row, vs, strict=True)
            ]
            for row, vs in zip(estimate, variance, strict=True)
        ]
    )
    naive = 2 * stats.norm.sf(np.abs(estimate) / np.sqrt(variance))

    assert (p_values < 0.05).any(axis=1).mean() <= 0.06
    assert (naive < 0.05).any(axis=1).mean() > 0.10
