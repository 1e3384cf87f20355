"""The figures an experiment compares, how each is compared, and which way is better.

The names are the ones ``Experiment.primary_metric`` and the guardrails use; each figure is
the dashboard's (docs/metrics.md) computed over the arm's conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    # A ratio of per-visitor sums (a rate): Wilson intervals, Rao-Scott chi-square.
    PROPORTION = "proportion"
    # A duration: compared on log scale (Welch on per-visitor mean logs), as a ratio of
    # geometric means, with a bootstrap interval for the median difference.
    TIME = "time"
    # A mean of ratings: Welch with the variance of a ratio of per-visitor sums.
    MEAN = "mean"


@dataclass(frozen=True, slots=True)
class Metric:
    name: str
    label: str
    kind: Kind
    higher_is_better: bool
    numerator: str = ""  # per-visitor count columns (proportions)
    denominator: str = ""
    values: str = ""  # observation set (times, ratings)

    def describe(self) -> dict:
        return {
            "name": self.name,
            "label": self.label,
            "kind": str(self.kind),
            "higher_is_better": self.higher_is_better,
        }


METRICS: dict[str, Metric] = {
    metric.name: metric
    for metric in (
        Metric("escalation_rate", "Escalation rate", Kind.PROPORTION, False,
               numerator="escalated", denominator="conversations"),
        Metric("containment", "Containment", Kind.PROPORTION, True,
               numerator="contained", denominator="resolved"),
        Metric("handling_time", "Handling time", Kind.TIME, False, values="handling_s"),
        Metric("response_time", "Bot response time", Kind.TIME, False, values="response_s"),
        Metric("csat_mean", "CSAT mean", Kind.MEAN, True,
               numerator="rating_sum", denominator="rated", values="rating"),
        Metric("csat_satisfied", "CSAT 4-5 share", Kind.PROPORTION, True,
               numerator="satisfied", denominator="rated"),
        Metric("csat_response_rate", "CSAT response rate", Kind.PROPORTION, True,
               numerator="rated", denominator="csat_requested"),
    )
}  # fmt: skip


class UnknownMetric(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"unknown metric {name!r}; one of: {', '.join(METRICS)}")


def metric(name: str) -> Metric:
    try:
        return METRICS[name]
    except KeyError:
        raise UnknownMetric(name) from None


def validate_guardrails(guardrails: object) -> list[dict]:
    """``[{"metric": name, "margin": positive number}]``, or ValueError saying what is wrong.
    A margin is absolute for rates and means (0.02 = two points) and relative for times
    (0.1 = at most 10 % slower)."""
    if not isinstance(guardrails, list):
        raise ValueError("guardrails must be a list of {metric, margin}")
    clean = []
    for item in guardrails:
        if not isinstance(item, dict) or set(item) != {"metric", "margin"}:
            raise ValueError("each guardrail is {metric, margin}")
        metric(item["metric"])
        margin = item["margin"]
        if isinstance(margin, bool) or not isinstance(margin, int | float) or margin <= 0:
            raise ValueError(f"guardrail {item['metric']}: the margin must be a positive number")
        clean.append({"metric": item["metric"], "margin": float(margin)})
    return clean
