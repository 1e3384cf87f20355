"""Sticky assignment of visitors to experiment arms (docs/experiments.md).

A visitor's arm is a hash of the experiment's salt and the visitor id placed on the arms'
cumulative weights: the same visitor lands in the same arm in every process, after every
restart, with no state; a stored ``Assignment`` wins over any later change of weights. A
visitor without an id, or in a stopped arm, gets the control variant and stays out of the
analysis (no arm is recorded).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from supportbot.experiments.hashing import bucket, pick
from supportbot.experiments.models import Arm, Assignment, Experiment, ModelVariant


@dataclass(frozen=True, slots=True)
class Placement:
    variant: ModelVariant
    arm: Arm | None  # None: not in the experiment's analysis


def place(visitor_id: str) -> Placement:
    """The variant a new conversation of ``visitor_id`` gets, and its arm."""
    experiment = Experiment.objects.filter(status=Experiment.Status.RUNNING).first()
    if experiment is None:
        return Placement(ModelVariant.get_default(), None)
    arms = list(experiment.arms.select_related("variant"))
    control = next((a for a in arms if a.is_control), arms[0]) if arms else None
    if control is None:
        return Placement(ModelVariant.get_default(), None)
    if not visitor_id:
        return Placement(control.variant, None)
    stored = (
        Assignment.objects.select_related("arm__variant")
        .filter(experiment=experiment, visitor_id=visitor_id)
        .first()
    )
    if stored is None:
        open_arms = [a for a in arms if not a.stopped]
        if not open_arms:
            return Placement(control.variant, None)
        arm = pick(open_arms, bucket(experiment.salt, visitor_id))
        try:
            with transaction.atomic():
                stored = Assignment.objects.create(
                    experiment=experiment, visitor_id=visitor_id, arm=arm
                )
        except IntegrityError:  # the visitor's other tab got there first
            stored = Assignment.objects.select_related("arm__variant").get(
                experiment=experiment, visitor_id=visitor_id
            )
    if stored.arm.stopped:
        return Placement(control.variant, None)
    return Placement(stored.arm.variant, stored.arm)
