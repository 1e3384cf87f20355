"""Planning an experiment and looking at it early: the minimum detectable effect and power of
a planned size, and always-valid intervals (mixture SPRT) that may be read at any look.
No Django (docs/experiments.md, "Statistics")."""

from __future__ import annotations

import math

from scipy import stats

from supportbot.experiments.stats import Interval, check_level, critical_z


def minimum_detectable_effect(
    sd_control: float,
    sd_treatment: float,
    n_control: float,
    n_treatment: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float:
    """The smallest true difference a two-sided z test at ``alpha`` finds with ``power``.

    For planning: ``(z_{1-alpha/2} + z_power) * sqrt(sd_c^2 / n_c + sd_t^2 / n_t)``; for a
    clustered rate use the per-visitor standard deviation, or inflate by the design effect.
    """
    se = _planned_se(sd_control, sd_treatment, n_control, n_treatment)
    return float(
        (critical_z(1 - check_level(alpha, "alpha")) + stats.norm.ppf(check_level(power, "power")))
        * se
    )


def power(
    effect: float,
    sd_control: float,
    sd_treatment: float,
    n_control: float,
    n_treatment: float,
    *,
    alpha: float = 0.05,
) -> float:
    """The chance a two-sided z test at ``alpha`` rejects when the true difference is ``effect``.

    Both tails count, so at ``effect == 0`` it is ``alpha``.
    """
    se = _planned_se(sd_control, sd_treatment, n_control, n_treatment)
    critical = critical_z(1 - check_level(alpha, "alpha"))
    shift = abs(effect) / se
    return float(stats.norm.sf(critical - shift) + stats.norm.cdf(-critical - shift))


def always_valid_interval(
    estimate: float, variance: float, *, alpha: float = 0.05, mixing_variance: float
) -> tuple[Interval, float]:
    """Always-valid interval and p-value of a normal estimate: mixture SPRT.

    Johari, Pekelis and Walsh (2017), normal mixture N(0, tau^2) over the true difference
    (``tau^2 = mixing_variance``, of the order of the hoped-for effects). A fixed-horizon test
    checked at every look rejects far more often than ``alpha``; the mSPRT bounds the chance of
    ever rejecting. Call it at each look: the running minimum of the p-values and the running
    intersection of the intervals are the experiment's. The interval excludes 0 iff p < alpha.
    """
    check_level(alpha, "alpha")
    if variance <= 0 or mixing_variance <= 0:
        raise ValueError("variance and mixing_variance must be positive")
    total = variance + mixing_variance
    half = math.sqrt(
        variance * total / mixing_variance * (math.log(total / variance) - 2 * math.log(alpha))
    )
    # log of the mixture likelihood ratio, kept in logs so a large estimate cannot overflow.
    log_lambda = 0.5 * math.log(variance / total) + estimate**2 * mixing_variance / (
        2 * variance * total
    )
    p_value = 1.0 if log_lambda <= 0 else math.exp(-log_lambda)
    return Interval(estimate - half, estimate + half), p_value


def _planned_se(sd_c: float, sd_t: float, n_c: float, n_t: float) -> float:
    if min(sd_c, sd_t, n_c, n_t) <= 0:
        raise ValueError("standard deviations and sizes must be positive")
    return math.sqrt(sd_c**2 / n_c + sd_t**2 / n_t)
