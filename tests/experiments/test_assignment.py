"""Sticky assignment: the same visitor lands in the same arm in any process, the split follows
the weights, a new salt reshuffles, a stored assignment wins, and visitors without an id or in
a stopped arm get the control variant outside the analysis."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest
from scipy import stats

from supportbot.chat import services
from supportbot.experiments.assignment import place
from supportbot.experiments.hashing import bucket, pick
from supportbot.experiments.models import Arm, Assignment, Experiment, ModelVariant

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def running(transactional_db):
    control = ModelVariant.get_default()
    candidate = ModelVariant.objects.create(name="candidate", model="tiny-moe")
    experiment = Experiment.objects.create(
        name="bigger-model", status=Experiment.Status.RUNNING, salt="s1",
        primary_metric="escalation_rate",
    )  # fmt: skip
    a = Arm.objects.create(experiment=experiment, name="a", variant=control, weight=1,
                           is_control=True)  # fmt: skip
    b = Arm.objects.create(experiment=experiment, name="b", variant=candidate, weight=3)
    return experiment, a, b


def test_100k_visitors_split_by_the_weights():
    arms = [Arm(name="a", weight=1), Arm(name="b", weight=3)]
    counts = {"a": 0, "b": 0}
    for i in range(100_000):
        counts[pick(arms, bucket("s1", f"visitor-{i}")).name] += 1
    result = stats.chisquare([counts["a"], counts["b"]], f_exp=[25_000, 75_000])
    assert result.pvalue > 0.001, counts


def test_the_same_visitor_lands_in_the_same_arm_in_another_process_and_a_new_salt_reshuffles():
    visitors = [f"visitor-{i}" for i in range(200)]
    here = [round(bucket("s1", v), 12) for v in visitors]
    code = (
        "from supportbot.experiments.hashing import bucket; "
        f"print([round(bucket('s1', v), 12) for v in {visitors!r}])"
    )
    there = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True).stdout.strip()  # fmt: skip
    assert there == str(here)
    arms = [Arm(name="a", weight=1), Arm(name="b", weight=1)]
    first = [pick(arms, bucket("s1", v)).name for v in visitors]
    second = [pick(arms, bucket("s2", v)).name for v in visitors]
    moved = sum(x != y for x, y in zip(first, second, strict=True))
    assert 60 < moved < 140  # about half move to the other arm


def test_conversations_record_the_visitors_arm_and_its_variant(running):
    _experiment, _a, b = running
    visitor = next(f"v{i}" for i in range(100) if bucket("s1", f"v{i}") >= 0.25)  # arm b
    first, _ = services.create_conversation(locale="en", visitor_id=visitor)
    again, _ = services.create_conversation(locale="en", visitor_id=visitor)
    assert first.arm == again.arm == b
    assert first.variant.name == again.variant.name == "candidate"
    assert Assignment.objects.filter(visitor_id=visitor).count() == 1


def test_a_stored_assignment_wins_over_new_weights(running):
    _experiment, a, b = running
    visitor = next(f"v{i}" for i in range(100) if bucket("s1", f"v{i}") < 0.25)  # arm a
    assert place(visitor).arm == a
    Arm.objects.filter(pk=a.pk).update(weight=1)
    Arm.objects.filter(pk=b.pk).update(weight=1000)
    assert place(visitor).arm == a


def test_no_visitor_id_or_a_stopped_arm_gets_the_control_outside_the_analysis(running):
    _experiment, a, b = running
    anonymous = place("")
    assert (anonymous.variant, anonymous.arm) == (a.variant, None)
    visitor = next(f"v{i}" for i in range(100) if bucket("s1", f"v{i}") >= 0.25)
    assert place(visitor).arm == b
    Arm.objects.filter(pk=b.pk).update(stopped=True)
    stopped = place(visitor)
    assert (stopped.variant, stopped.arm) == (a.variant, None)


def test_without_a_running_experiment_everyone_gets_the_default(running):
    experiment, _a, _b = running
    Experiment.objects.filter(pk=experiment.pk).update(status=Experiment.Status.STOPPED)
    placement = place(uuid.uuid4().hex)
    assert placement.arm is None and placement.variant.is_default


def test_the_dashboard_facts_carry_the_arm(running):
    from datetime import UTC, datetime

    from supportbot.analytics import metrics
    from tests.analytics.history import Chat, Clock

    with Clock(datetime(2026, 5, 1, 9, tzinfo=UTC)) as clock:
        chat = Chat(clock, visitor=next(f"v{i}" for i in range(100)
                                        if bucket("s1", f"v{i}") >= 0.25))  # fmt: skip
        chat.customer("Hello")
    arm_b = metrics.Window(arm="bigger-model/b")
    assert metrics.summary(arm_b)["conversations"] == 1
    assert metrics.summary(metrics.Window(arm="bigger-model/a"))["conversations"] == 0
