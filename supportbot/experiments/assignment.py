"""Sticky assignment of visitors to experiment arms (docs/experiments.md).

A visitor's arm is a hash of the experiment's salt and the visitor id placed on the arms'
cumulative weights: the same visitor lands in the same arm in every process, after every
restart, with no state; a stored ``Assignment`` wins over any later change of weights. A
visitor without an id, or in a stopped arm, gets the control variant and stays out of the
analysis (no arm is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from supportbot.experiments.hashing import bucket, pick
from supportbot.experiments.models import Arm, Assignment, Experiment, ModelVariant


@dataclass(frozen=True, slots=True)
class Placement:
    variant: ModelVariant
    arm: Arm | None  # None: not in the experiment's analysis


def place(visitor_id: str) -> Placement:
    """The variant a new conversation of ``visitor_id`` gets, and its arm.

    Every conversation opens through here, so it costs as few statements as it can: the
    running experiment's arms in one query, then one insert that does nothing when the
    visitor already has an assignment, and a read of that one only then."""
    arms = list(
        Arm.objects.filter(experiment__status=Experiment.Status.RUNNING)
        .select_related("variant", "experiment")
        .order_by("pk")
    )
    if not arms:
        return Placement(ModelVariant.get_default(), None)
    experiment = arms[0].experiment
    control = next((a for a in arms if a.is_control), arms[0])
    if not visitor_id:
        return Placement(control.variant, None)
    open_arms = [a for a in arms if not a.stopped]
    if open_arms:
        arm = pick(open_arms, bucket(experiment.salt, visitor_id))
        if _store_first(experiment.pk, visitor_id, arm.pk):
            return Placement(arm.variant, arm)
    stored = (
        Assignment.objects.filter(experiment=experiment, visitor_id=visitor_id)
        .values_list("arm_id", flat=True)
        .first()
    )
    arm = next((a for a in arms if a.pk == stored), None)
    if arm is None or arm.stopped:
        return Placement(control.variant, None)
    return Placement(arm.variant, arm)


def _store_first(experiment_id: int, visitor_id: str, arm_id: int) -> bool:
    """Store the visitor's assignment unless one exists; True when this call stored it.

    One ``INSERT ... ON CONFLICT DO NOTHING`` (SQLite and PostgreSQL): no savepoint, and
    a visitor's two tabs racing cannot both win, since the unique constraint decides."""
    table = connection.ops.quote_name(Assignment._meta.db_table)
    created_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (experiment_id, visitor_id, arm_id, created_at) "
            "VALUES (%s, %s, %s, %s) ON CONFLICT (experiment_id, visitor_id) DO NOTHING",
            [experiment_id, visitor_id, arm_id, created_at],
        )
        return cursor.rowcount == 1
