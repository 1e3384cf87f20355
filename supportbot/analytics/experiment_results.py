"""An experiment's results from the dashboard's facts: each arm's conversations and bot
replies, tagged with their visitor, handed to ``experiments.analysis`` (docs/experiments.md).

The figures are the dashboard's own definitions (docs/metrics.md) over the conversations the
experiment counted (``ConversationFact.arm`` is ``<experiment>/<arm>``), whenever they
started; conversations outside the analysis (no visitor id, a stopped arm) carry no arm.
"""

from __future__ import annotations

from django.db.models import Count

from supportbot.analytics.models import ConversationFact, ReplyFact
from supportbot.experiments.analysis import Design, analyse
from supportbot.experiments.models import Arm, Experiment
from supportbot.experiments.samples import ArmSample, arm_sample


def arm_label(arm: Arm) -> str:
    return f"{arm.experiment.name}/{arm.name}"


def load_sample(arm: Arm) -> ArmSample:
    label = arm_label(arm)
    rows = list(
        # Started conversations only (a first customer message), as on the dashboard: a
        # widget opened and never written in is no conversation.
        ConversationFact.objects.filter(arm=label, started_at__isnull=False).values_list(
            "conversation__visitor_id", "escalations", "resolved_at", "csat_requested",
            "csat_rating", "handling_s",
        )
    )  # fmt: skip
    replies = list(
        ReplyFact.objects.filter(arm=label, normal=True, complete_ms__isnull=False).values_list(
            "conversation__conversation__visitor_id", "complete_ms"
        )
    )
    resolved = [row[2] is not None for row in rows]
    return arm_sample(
        name=arm.name,
        variant=arm.variant.name,
        weight=arm.weight,
        is_control=arm.is_control,
        active=not arm.stopped,
        visitor=[row[0] for row in rows],
        escalated=[row[1] > 0 for row in rows],
        resolved=resolved,
        contained=[done and row[1] == 0 for done, row in zip(resolved, rows, strict=True)],
        csat_requested=[row[3] for row in rows],
        rating=[row[4] or 0 for row in rows],
        handling_s=[float("nan") if row[5] is None else row[5] for row in rows],
        reply_visitor=[visitor for visitor, _ms in replies],
        reply_s=[ms / 1000 for _visitor, ms in replies],
    )


def design_of(experiment: Experiment) -> Design:
    return Design(
        primary_metric=experiment.primary_metric,
        guardrails=list(experiment.guardrails or []),
        alpha=experiment.alpha,
        planned_visitors=experiment.planned_visitors,
        sequential=experiment.sequential,
    )


def describe(experiment: Experiment) -> dict:
    return {
        "name": experiment.name,
        "status": experiment.status,
        "primary_metric": experiment.primary_metric,
        "guardrails": experiment.guardrails,
        "alpha": experiment.alpha,
        "planned_visitors": experiment.planned_visitors,
        "sequential": experiment.sequential,
        "created_at": experiment.created_at.isoformat(),
        "started_at": experiment.started_at.isoformat() if experiment.started_at else None,
        "stopped_at": experiment.stopped_at.isoformat() if experiment.stopped_at else None,
    }


def results(experiment: Experiment, *, bootstrap_resamples: int = 2000) -> dict:
    """The results document of docs/experiments.md: the experiment, then the analysis."""
    arms = list(experiment.arms.select_related("variant", "experiment"))
    found = {"experiment": describe(experiment)}
    if not arms:
        reason = "the experiment has no arms"
        return {**found, "verdict": {"status": "not_enough_data", "winner": None,
                                     "reason": reason}, "arms": []}  # fmt: skip
    samples = [load_sample(arm) for arm in arms]
    return {**found, **analyse(design_of(experiment), samples,
                               bootstrap_resamples=bootstrap_resamples)}  # fmt: skip


def overview() -> list[dict]:
    """Every experiment, newest first, with its visitors and conversations so far (three
    queries, however many experiments)."""
    experiments = (
        Experiment.objects.annotate(visitor_count=Count("assignments", distinct=True))
        .prefetch_related("arms")
        .order_by("-created_at")
    )
    per_arm = (
        ConversationFact.objects.filter(started_at__isnull=False)
        .exclude(arm="")
        .values_list("arm")
        .annotate(n=Count("pk"))
    )
    conversations: dict[str, int] = {}
    for label, n in per_arm:
        name = label.partition("/")[0]
        conversations[name] = conversations.get(name, 0) + n
    return [
        {
            **describe(experiment),
            "arms": [arm.name for arm in experiment.arms.all()],
            "assigned_visitors": experiment.visitor_count,
            "conversations": conversations.get(experiment.name, 0),
            "url": f"/dashboard/experiments/{experiment.name}",
        }
        for experiment in experiments
    ]
