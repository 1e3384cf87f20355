"""Django admin starts and stops experiments with the same checks as the command, and keeps
what was declared before the start from changing."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from supportbot.experiments.models import Arm, Experiment, ModelVariant

pytestmark = pytest.mark.django_db(transaction=True)
CHANGELIST = "/admin/experiments/experiment/"


@pytest.fixture
def staff(transactional_db) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("root", password="pw-root"))
    return client


def draft(name: str, *, arms: int) -> Experiment:
    experiment = Experiment.objects.create(
        name=name, primary_metric="escalation_rate", planned_visitors=500
    )
    default = ModelVariant.get_default()
    for index in range(arms):
        Arm.objects.create(experiment=experiment, name=f"arm{index}", variant=default,
                           is_control=index == 0)  # fmt: skip
    return experiment


def act(client: Client, action: str, *experiments: Experiment) -> str:
    response = client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [e.pk for e in experiments]},
        follow=True,
    )
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def test_admin_actions_start_and_stop_with_the_models_checks(staff):
    ready, lonely = draft("ready", arms=2), draft("lonely", arms=1)
    said = act(staff, "start", ready, lonely)
    assert "ready: running" in said and "lonely needs two arms or more" in said
    ready.refresh_from_db()
    lonely.refresh_from_db()
    assert ready.status == "running" and ready.started_at is not None
    assert lonely.status == "draft"

    # Declared fields and arms are read-only once running.
    page = staff.get(f"{CHANGELIST}{ready.pk}/change/").content.decode()
    assert 'name="primary_metric"' not in page and 'name="arms-0-weight"' not in page
    assert 'name="arms-0-stopped"' in page

    assert "ready: stopped" in act(staff, "stop", ready)
    assert "is draft, not running" in act(staff, "stop", lonely)
    ready.refresh_from_db()
    assert ready.status == "stopped" and ready.stopped_at is not None
