"""The results document (``experiment_results.results``) as the page shows it: each number
formatted in its metric's unit, and rows the template only has to lay out."""

from __future__ import annotations

from supportbot.experiments.metrics import METRICS, Kind

MINUS = "\u2212"


def _signed(value: float, digits: int) -> str:
    text = f"{abs(value):.{digits}f}"
    return f"{MINUS if value < 0 else '+'}{text}"


def p_value(p: float | None) -> str:
    if p is None:
        return "–"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def arm_value(kind: Kind, figure: dict) -> tuple[str, str]:
    """(value, interval) of a metric in one arm."""
    low, high = figure.get("interval") or (None, None)
    if kind is Kind.PROPORTION:
        if figure.get("value") is None:
            return "–", ""
        interval = f"[{low * 100:.1f}, {high * 100:.1f}] %" if low is not None else ""
        value = f"{figure['value'] * 100:.1f} %"
        return value, f"{interval} ({figure['numerator']}/{figure['denominator']})"
    if kind is Kind.MEAN:
        if figure.get("value") is None:
            return "–", ""
        interval = f"[{low:.2f}, {high:.2f}]" if low is not None else ""
        return f"{figure['value']:.2f}", f"{interval} (n {figure['n']})"
    if figure.get("geometric_mean") is None:
        return "–", ""
    median = figure["median"]
    return (
        f"{figure['geometric_mean']:.2f} s",
        f"[{low:.2f}, {high:.2f}] s · median {median:.2f} s (n {figure['n']})",
    )


def difference(kind: Kind, comparison: dict) -> tuple[str, str]:
    """(estimate, interval) of a treatment against the control."""
    estimate = comparison.get("estimate")
    if estimate is None:
        return "–", ""
    low, high = comparison["interval"]
    bounds = low is not None and high is not None
    if kind is Kind.PROPORTION:
        interval = f"[{_signed(low * 100, 1)}, {_signed(high * 100, 1)}] pts" if bounds else ""
        return f"{_signed(estimate * 100, 1)} pts", interval
    if kind is Kind.MEAN:
        interval = f"[{_signed(low, 2)}, {_signed(high, 2)}]" if bounds else ""
        return _signed(estimate, 2), interval
    interval = f"[×{low:.2f}, ×{high:.2f}]" if bounds else ""
    median = comparison.get("median_difference") or {}
    if median.get("estimate") is not None:
        m_low, m_high = median["interval"]
        interval += f" · median {_signed(median['estimate'], 2)} s"
        if m_low is not None:
            interval += f" [{_signed(m_low, 2)}, {_signed(m_high, 2)}]"
    return f"×{estimate:.2f} ({_signed((estimate - 1) * 100, 0)} %)", interval


def metric_rows(found: dict) -> list[dict]:
    """One row per metric: each arm's value, and each treatment's comparison."""
    rows = []
    for name, metric in METRICS.items():
        cells = []
        for arm in found["arms"]:
            value, interval = arm_value(metric.kind, arm["metrics"][name])
            cell = {"arm": arm["name"], "value": value, "interval": interval, "control": True}
            comparison = (arm["comparison"] or {}).get(name)
            if comparison is not None:
                estimate, bounds = difference(metric.kind, comparison)
                better = None
                if comparison["significant"] and comparison["estimate"] is not None:
                    change = comparison["estimate"] - (1 if metric.kind is Kind.TIME else 0)
                    better = (change > 0) == metric.higher_is_better
                cell.update(
                    control=False, estimate=estimate, estimate_interval=bounds,
                    p=p_value(comparison["p_value"]), p_holm=p_value(comparison["p_holm"]),
                    significant=comparison["significant"], better=better,
                )  # fmt: skip
            cells.append(cell)
        rows.append({
            "name": name,
            "label": metric.label,
            "primary": name == found["primary_metric"],
            "direction": "higher is better" if metric.higher_is_better else "lower is better",
            "cells": cells,
        })  # fmt: skip
    return rows


def guardrail_rows(found: dict) -> list[dict]:
    rows = []
    for arm in found["arms"]:
        for check in arm["guardrails"] or []:
            metric = METRICS[check["metric"]]
            margin = check["margin"]
            shown = (
                f"{margin * 100:.0f} % slower" if metric.kind is Kind.TIME
                else f"{margin * 100:.1f} pts" if metric.kind is Kind.PROPORTION
                else f"{margin:.2f}"
            )  # fmt: skip
            rows.append({
                "arm": arm["name"], "label": metric.label, "margin": shown,
                "p": p_value(check["p_value"]), "passed": check["passed"],
            })  # fmt: skip
    return rows


def context(found: dict) -> dict:
    """Everything the template shows."""
    if not found["arms"]:
        return {"found": found, "rows": [], "guardrails": [], "arms": []}
    power = found["power"]
    mde = power["minimum_detectable_effect"]
    primary = METRICS[found["primary_metric"]]
    if mde is None:
        mde_text = ""
    elif primary.kind is Kind.TIME:
        mde_text = f"a {power['relative'] * 100:.1f} % shorter time (×{mde:.3f})"
    elif primary.kind is Kind.PROPORTION:
        mde_text = f"{mde * 100:.2f} pts"
    else:
        mde_text = f"{mde:.3f}"
    progress = power["progress"]
    return {
        "found": found,
        "arms": found["arms"],
        "primary": primary,
        "rows": metric_rows(found),
        "guardrails": guardrail_rows(found),
        "srm": found["sample_ratio"],
        "verdict": found["verdict"],
        "mde_text": mde_text,
        "progress_percent": min(100, round(progress * 100)) if progress is not None else None,
        "srm_p": p_value(found["sample_ratio"]["p_value"]),
    }
