"""Statistics for A/B experiments on model variants (docs/experiments.md). No Django.

Visitors, not conversations, are randomized, and one visitor's conversations share their
problem, patience and mood. So rates are ratios of per-visitor sums with variances taken over
visitors, means are compared on one value per visitor, and the bootstrap resamples visitors:
treating conversations as independent would make intervals too narrow and p-values too small.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

# A clustered variance of zero (every visitor exactly at the pooled rate) would make the design
# effect zero; flooring it keeps the corrected statistic finite, and huge, instead.
_MIN_DESIGN_EFFECT = 1e-9
# The bootstrap holds resamples x conversations cumulative weights (int64) at once: ~160 MB.
_BOOTSTRAP_CELLS = 20_000_000


@dataclass(frozen=True, slots=True)
class Interval:
    low: float
    high: float


_NO_INTERVAL = Interval(math.nan, math.nan)


@dataclass(frozen=True, slots=True)
class Ratio:
    """``sum(x) / sum(y)`` over units (visitors), with its linearization (delta-method) variance.

    ``variance = sum((x_i - value * y_i) ** 2) / sum(y) ** 2`` has one residual per visitor, so
    a visitor whose conversations all go one way counts once. ``sum_xy = sum(x_i * y_i)`` and
    ``sum_yy = sum(y_i ** 2)`` let two arms be pooled exactly; build it with ``ratio()``.
    """

    value: float  # nan when the denominator sum is 0
    variance: float  # nan when the denominator sum is 0
    numerator: float
    denominator: float
    units: int  # units with y_i > 0
    sum_xy: float
    sum_yy: float

    @property
    def design_effect(self) -> float:
        """The clustered variance over the binomial one (Kish's design effect; proportions only).

        1 when each visitor has one conversation; near the conversations per visitor when a
        visitor's conversations all share one outcome. 1.0 when there is no binomial variance.
        """
        binomial = self.value * (1.0 - self.value) / self.denominator if self.denominator else 0.0
        if not binomial > 0:
            return 1.0
        return self.variance / binomial


def ratio(numerators: ArrayLike, denominators: ArrayLike) -> Ratio:
    """The ratio of sums of per-visitor numerators and denominators, one entry per visitor."""
    x, y = np.asarray(numerators, dtype=float), np.asarray(denominators, dtype=float)
    if x.ndim != 1 or x.shape != y.shape:
        raise ValueError("numerators and denominators must be 1-D and of one length")
    if np.any(y < 0):
        raise ValueError("denominators must not be negative")
    numerator, denominator = float(x.sum()), float(y.sum())
    units = int(np.count_nonzero(y > 0))
    sum_xy, sum_yy = float(x @ y), float(y @ y)
    if denominator == 0:
        return Ratio(math.nan, math.nan, numerator, denominator, units, sum_xy, sum_yy)
    value = numerator / denominator
    residuals = x - value * y
    variance = float(residuals @ residuals) / denominator**2
    return Ratio(value, variance, numerator, denominator, units, sum_xy, sum_yy)


def wilson(successes: float, trials: float, confidence: float = 0.95) -> Interval:
    """Wilson score interval for a binomial proportion.

    The proportions a score test would not reject. Unlike the Wald interval it stays inside
    [0, 1] and keeps its coverage near 0 and 1, where escalation rates live. ``trials`` may be
    fractional: an effective sample size (``proportion_interval``).
    """
    z = critical_z(confidence)
    if not 0 <= successes <= trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes} and {trials}")
    if trials == 0:
        return _NO_INTERVAL
    p = successes / trials
    shrink = 1 + z * z / trials
    center = (p + z * z / (2 * trials)) / shrink
    half = z / shrink * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    # The score test never rejects 0 after no successes, nor 1 after no failures: exact ends.
    low = 0.0 if successes == 0 else center - half
    high = 1.0 if successes == trials else center + half
    return Interval(low, high)


def proportion_interval(r: Ratio, confidence: float = 0.95) -> Interval:
    """Wilson interval for a visitor-clustered proportion, at its effective sample size.

    Clustering leaves ``denominator`` conversations with the information of
    ``denominator / design_effect`` independent ones; Wilson at that size keeps its behaviour
    near 0 and 1 while its width follows the delta-method variance.
    """
    check_level(confidence, "confidence")
    if not r.denominator > 0:
        return _NO_INTERVAL
    effective = r.denominator / max(r.design_effect, _MIN_DESIGN_EFFECT)
    return wilson(r.value * effective, effective, confidence)


@dataclass(frozen=True, slots=True)
class Comparison:
    estimate: float  # treatment - control, or treatment / control for ratios
    interval: Interval  # two-sided, at the requested confidence
    p_value: float  # two-sided, no difference
    standard_error: float  # on the scale of the test (log scale for ratios)
    test: str  # short human name of the test


def proportion_difference(control: Ratio, treatment: Ratio, confidence: float = 0.95) -> Comparison:
    """Treatment minus control proportion, tested with a Rao-Scott corrected chi-square.

    The interval is Wald on the arms' delta-method variances. Pearson's chi-square on the table
    of conversations would treat conversations as independent; dividing it by the design effect
    of both arms pooled (Rao and Scott's first-order correction) takes the clustering out. With
    one conversation per visitor the design effect is 1 and this is the ordinary chi-square
    test, which is the pooled two-proportion z-test.
    """
    z = critical_z(confidence)
    for arm in (control, treatment):
        if not 0 <= arm.numerator <= arm.denominator:
            raise ValueError("a proportion needs 0 <= numerator <= denominator")
    estimate = treatment.value - control.value
    se = math.sqrt(control.variance + treatment.variance)
    interval = Interval(estimate - z * se, estimate + z * se)
    p_value = _rao_scott_p(control, treatment)
    return Comparison(estimate, interval, p_value, se, "Rao-Scott chi-square")


def _rao_scott_p(control: Ratio, treatment: Ratio) -> float:
    if control.denominator == 0 or treatment.denominator == 0:
        return math.nan  # an arm without conversations: nothing to compare
    pooled = _pool(control, treatment)
    if pooled.value in (0.0, 1.0):
        return 1.0  # both arms all successes, or all failures: no difference to find
    table = [
        [control.numerator, control.denominator - control.numerator],
        [treatment.numerator, treatment.denominator - treatment.numerator],
    ]
    pearson = stats.chi2_contingency(table, correction=False).statistic
    return float(stats.chi2.sf(pearson / max(pooled.design_effect, _MIN_DESIGN_EFFECT), 1))


def _pool(a: Ratio, b: Ratio) -> Ratio:
    """What ``ratio()`` would give over the units of ``a`` and ``b`` together."""
    numerator, denominator = a.numerator + b.numerator, a.denominator + b.denominator
    value = numerator / denominator
    # Each arm's residuals re-centred on the pooled value:
    # sum((x - v y) ** 2) = sum(((x - v_arm y) + (v_arm - v) y) ** 2), expanded.
    squares = sum(
        r.variance * r.denominator**2
        + 2 * (r.value - value) * (r.sum_xy - r.value * r.sum_yy)
        + (r.value - value) ** 2 * r.sum_yy
        for r in (a, b)
    )
    return Ratio(
        value, squares / denominator**2, numerator, denominator,
        a.units + b.units, a.sum_xy + b.sum_xy, a.sum_yy + b.sum_yy,
    )  # fmt: skip


def welch(
    control_units: ArrayLike,
    treatment_units: ArrayLike,
    confidence: float = 0.95,
    *,
    log: bool = False,
) -> Comparison:
    """Welch's t-test of treatment minus control on one value per visitor.

    One value per visitor (mean CSAT, mean log handling time) keeps the units independent;
    Welch does not assume equal variances, as a new model may change the spread too. With
    ``log`` the values are per-visitor means of log times and the estimate and interval are
    ratios of geometric means: times are skewed, and "12% faster" reads the same for short
    and long conversations. The standard error stays on the log scale.
    """
    name = "Welch t on log scale" if log else "Welch t"
    check_level(confidence, "confidence")
    c, t = np.asarray(control_units, dtype=float), np.asarray(treatment_units, dtype=float)
    if c.ndim != 1 or t.ndim != 1:
        raise ValueError("welch takes one 1-D array of per-visitor values per arm")
    if c.size < 2 or t.size < 2:
        return Comparison(math.nan, _NO_INTERVAL, math.nan, math.nan, name)
    estimate = float(t.mean() - c.mean())
    se = math.sqrt(t.var(ddof=1) / t.size + c.var(ddof=1) / c.size)
    if se == 0:
        # No spread in either arm: scipy has nothing to scale by (and warns); it is exact.
        low = high = estimate
        p_value = 1.0 if estimate == 0 else 0.0
    else:
        result = stats.ttest_ind(t, c, equal_var=False)
        ci = result.confidence_interval(confidence_level=confidence)
        low, high, p_value = float(ci.low), float(ci.high), float(result.pvalue)
    if log:
        estimate, low, high = math.exp(estimate), math.exp(low), math.exp(high)
    return Comparison(estimate, Interval(low, high), p_value, se, name)


@dataclass(frozen=True, slots=True)
class NonInferiority:
    margin: float
    p_value: float
    bound: float  # one-sided (1 - alpha) confidence bound, on the estimate's scale
    passed: bool  # p_value < alpha


def non_inferiority(
    comparison: Comparison,
    margin: float,
    *,
    higher_is_better: bool,
    ratio: bool = False,
    alpha: float = 0.05,
) -> NonInferiority:
    """One-sided test that the treatment is worse than the control by less than ``margin``.

    A cheaper variant need not win on a guardrail, only not lose by more than the agreed
    margin: H0 "worse by at least the margin" is rejected when the one-sided bound clears it.
    The margin is absolute on the difference scale; with ``ratio`` (times as ratios of
    geometric means) it is relative and the normal test runs on the log scale.
    """
    if not margin >= 0:
        raise ValueError("margin must not be negative")
    check_level(alpha, "alpha")
    if ratio:
        if higher_is_better and not margin < 1:
            raise ValueError("a relative margin for higher-is-better must be below 1")
        estimate = math.log(comparison.estimate) if comparison.estimate > 0 else math.nan
        limit = math.log(1 - margin if higher_is_better else 1 + margin)
    else:
        estimate = comparison.estimate
        limit = -margin if higher_is_better else margin
    better = 1.0 if higher_is_better else -1.0
    # How far the estimate lies on the good side of the margin.
    distance = better * (estimate - limit)
    se = comparison.standard_error
    p_value = float(distance <= 0) if se == 0 else float(stats.norm.sf(distance / se))
    bound = estimate - better * float(stats.norm.isf(alpha)) * se
    if ratio:
        bound = math.exp(bound)
    return NonInferiority(margin, p_value, bound, bool(p_value < alpha))


def bootstrap_median_difference(
    control_values: ArrayLike,
    control_units: ArrayLike,
    treatment_values: ArrayLike,
    treatment_units: ArrayLike,
    *,
    confidence: float = 0.95,
    n_resamples: int = 2000,
    random_state: int | np.random.Generator | None = 0,
) -> Interval:
    """Percentile cluster-bootstrap interval for treatment minus control median.

    A median of skewed times has no handy variance, so its distribution is simulated; whole
    visitors, with all their conversations, are resampled within each arm, as the
    randomization drew them (resampling conversations would give too narrow an interval).
    ``*_values`` are per conversation, ``*_units[i]`` is the visitor of ``*_values[i]``. An arm
    with fewer than two visitors gives ``Interval(nan, nan)``.
    """
    check_level(confidence, "confidence")
    control = _Clustered.of(control_values, control_units)
    treatment = _Clustered.of(treatment_values, treatment_units)
    if control.visitors < 2 or treatment.visitors < 2:
        return _NO_INTERVAL

    def statistic(control_drawn: np.ndarray, treatment_drawn: np.ndarray, axis: int = -1):
        return treatment.medians(treatment_drawn) - control.medians(control_drawn)

    largest = max(control.values.size, treatment.values.size)
    result = stats.bootstrap(
        (np.arange(control.visitors), np.arange(treatment.visitors)),
        statistic,
        n_resamples=n_resamples,
        batch=max(1, _BOOTSTRAP_CELLS // largest),
        vectorized=True,
        paired=False,
        confidence_level=confidence,
        method="percentile",
        rng=random_state,
    )
    return Interval(float(result.confidence_interval.low), float(result.confidence_interval.high))


@dataclass(frozen=True, slots=True)
class _Clustered:
    """One arm's conversation values, sorted once, with each value's visitor."""

    values: np.ndarray  # (conversations,) ascending
    visitor: np.ndarray  # (conversations,) visitor index in [0, visitors) of each value
    visitors: int

    @classmethod
    def of(cls, values: ArrayLike, units: ArrayLike) -> _Clustered:
        v, u = np.asarray(values, dtype=float), np.asarray(units)
        if v.ndim != 1 or v.shape != u.shape:
            raise ValueError("values and units must be 1-D and of one length")
        if not np.all(np.isfinite(v)):
            raise ValueError("values must be finite")
        labels, visitor = np.unique(u, return_inverse=True)
        order = np.argsort(v, kind="stable")
        return cls(v[order], visitor[order], labels.size)

    def medians(self, drawn: np.ndarray) -> np.ndarray:
        """np.median of the drawn visitors' conversations: (..., visitors) -> (...).

        A visitor drawn k times counts each of their conversations k times, so each sorted
        value carries its visitor's multiplicity as a weight and the middle rank(s) are found
        on the cumulative weights, without building the resampled arrays.
        """
        drawn = np.asarray(drawn).astype(np.intp)
        rows = drawn.reshape(-1, drawn.shape[-1])  # (resamples, visitors drawn)
        n = rows.shape[0]
        offsets = rows + self.visitors * np.arange(n)[:, None]
        counts = np.bincount(offsets.ravel(), minlength=n * self.visitors)
        counts = counts.reshape(n, self.visitors)  # (resamples, visitors): multiplicity
        cumulative = counts[:, self.visitor]  # (resamples, conversations)
        np.cumsum(cumulative, axis=1, out=cumulative)
        total = cumulative[:, -1]
        # The value at 0-based rank r is the first whose cumulative weight exceeds r; an even
        # total averages the two middle ranks, as np.median does ((a + a) / 2 == a when odd).
        low = np.count_nonzero(cumulative <= ((total - 1) // 2)[:, None], axis=1)
        high = np.count_nonzero(cumulative <= (total // 2)[:, None], axis=1)
        return ((self.values[low] + self.values[high]) / 2).reshape(drawn.shape[:-1])


def sample_ratio_mismatch(observed: Sequence[int], weights: Sequence[float]) -> tuple[float, float]:
    """Chi-square goodness of fit of the visitors per arm to the configured split.

    A mismatch means assignment or logging lost visitors unevenly (one variant crashing, a bot
    filter), and then no metric of the experiment can be trusted. Returns (statistic, p).
    """
    counts, shares = np.asarray(observed, dtype=float), np.asarray(weights, dtype=float)
    if counts.ndim != 1 or counts.shape != shares.shape:
        raise ValueError("observed and weights must be 1-D and of one length")
    if np.any(shares <= 0) or np.any(counts < 0):
        raise ValueError("weights must be positive and counts not negative")
    total = counts.sum()
    if counts.size < 2 or total == 0:
        return 0.0, 1.0
    result = stats.chisquare(counts, f_exp=total * shares / shares.sum())
    return float(result.statistic), float(result.pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the input order.

    Keeps the chance of any false discovery among an experiment's metrics at the level they
    are compared to, with more power than Bonferroni: the k-th smallest of m p-values is
    multiplied by m - k + 1, and a running maximum keeps the order of the raw ones. nan (a
    metric that could not be computed) stays nan and is left out of the family.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise ValueError("p_values must be a flat sequence")
    present = np.flatnonzero(~np.isnan(p))
    if np.any((p[present] < 0) | (p[present] > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    order = present[np.argsort(p[present], kind="stable")]
    scaled = (order.size - np.arange(order.size)) * p[order]
    adjusted = np.full(p.shape, math.nan)
    adjusted[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return adjusted.tolist()


def check_level(value: float, name: str) -> float:
    if not 0 < value < 1:
        raise ValueError(f"{name} must lie in (0, 1), got {value}")
    return value


def critical_z(confidence: float) -> float:
    """The two-sided normal critical value."""
    return float(stats.norm.ppf(0.5 + check_level(confidence, "confidence") / 2))
