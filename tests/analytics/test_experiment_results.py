"""Experiments from outside: ``manage.py experiment`` starts, stops and shows them;
``simulate_experiment`` plays known truths through the services; the results JSON and page
count what the database holds, call the winner the truths make, refuse strangers and agents,
and show a broken split first, with no winner."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from django.test import Client

from supportbot.analytics.models import ConversationFact
from supportbot.chat import services
from supportbot.chat.models import Conversation, ConversationEvent, CsatResponse
from supportbot.experiments.models import Arm, Experiment, ModelVariant
from tests.agents.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

# Truths far apart, so that 80 visitors settle them.
CLEAR_WIN = ("--escalation", "0.6", "0.05", "--handling", "30", "3", "--csat", "2.0", "4.8",
             "--csat-response", "0.9", "0.9")  # fmt: skip


def simulate(name: str, *extra: str) -> Experiment:
    call_command(
        "simulate_experiment", "--force", "--name", name, "--visitors", "80", "--seed", "3",
        *CLEAR_WIN, *extra, stdout=io.StringIO(), stderr=io.StringIO(),
    )  # fmt: skip
    return Experiment.objects.get(name=name)


@pytest.fixture
def admin_client(transactional_db) -> Client:
    client = Client()
    client.force_login(make_user("lee", role="admin"))
    return client


@pytest.fixture
def variants(transactional_db) -> tuple[ModelVariant, ModelVariant]:
    default = ModelVariant.get_default()
    return default, ModelVariant.objects.create(name="candidate", model=default.model)


def test_the_results_count_what_the_database_holds_and_call_the_truths_winner(
    demo_kb, admin_client
):
    experiment = simulate("clear-win", "--keep-running")
    found = admin_client.get("/dashboard/api/experiments/clear-win").json()
    assert found["experiment"]["status"] == "running"
    # A widget opened and never written in is no conversation, in the experiment as on the
    # dashboard.
    opened, _token = services.create_conversation(locale="en", visitor_id="just-looking",
                                                  origin="https://shop.example")  # fmt: skip
    assert opened.arm is not None
    assert admin_client.get("/dashboard/api/experiments/clear-win").json() == found
    call_command("experiment", "stop", "clear-win", stdout=io.StringIO())
    found = admin_client.get("/dashboard/api/experiments/clear-win").json()

    assert found["experiment"]["name"] == "clear-win"
    assert found["experiment"]["status"] == "stopped"
    assert [arm["name"] for arm in found["arms"]] == ["a", "b"]
    for shown in found["arms"]:
        arm = Arm.objects.get(experiment=experiment, name=shown["name"])
        conversations = Conversation.objects.filter(arm=arm, started_at__isnull=False)
        assert shown["variant"] == arm.variant.name
        assert shown["conversations"] == conversations.count() > 0
        assert shown["visitors"] == conversations.values("visitor_id").distinct().count()
        escalated = (
            ConversationEvent.objects.filter(
                conversation__arm=arm, kind=ConversationEvent.Kind.STATE_CHANGED,
                to_state=Conversation.State.WAITING_AGENT,
            ).values("conversation").distinct().count()
        )  # fmt: skip
        rate = shown["metrics"]["escalation_rate"]
        assert (rate["numerator"], rate["denominator"]) == (escalated, conversations.count())
        ratings = CsatResponse.objects.filter(conversation__arm=arm)
        assert shown["metrics"]["csat_mean"]["n"] == ratings.count()
        mean = sum(r.rating for r in ratings) / ratings.count()
        assert shown["metrics"]["csat_mean"]["value"] == pytest.approx(mean)
        # Every conversation got the bot's reply, timed: one response time each.
        assert shown["metrics"]["response_time"]["n"] == conversations.count()
    assert found["sample_ratio"]["observed"] == [arm["visitors"] for arm in found["arms"]]
    assert found["verdict"]["status"] == "winner" and found["verdict"]["winner"] == "b"
    b = found["arms"][1]["comparison"]
    assert b["escalation_rate"]["estimate"] < 0 and b["escalation_rate"]["significant"]
    assert b["handling_time"]["estimate"] < 1 and b["handling_time"]["significant"]

    # The same document from the command, and the page says it in words.
    out = io.StringIO()
    call_command("experiment", "show", "clear-win", "--json", stdout=out)
    shown = json.loads(out.getvalue())
    assert shown["verdict"] == found["verdict"] and shown["arms"][0]["metrics"] == found[
        "arms"][0]["metrics"]  # fmt: skip
    page = admin_client.get("/dashboard/experiments/clear-win").content.decode()
    assert page.index('data-testid="srm"') < page.index('data-testid="verdict"')
    assert 'data-testid="winner">b<' in page and "Split as planned" in page
    listing = admin_client.get("/dashboard/api/experiments").json()["experiments"]
    assert [(e["name"], e["conversations"]) for e in listing] == [
        ("clear-win", sum(arm["conversations"] for arm in found["arms"]))
    ]


def test_an_injected_imbalance_is_flagged_first_and_no_winner_is_shown(demo_kb, admin_client):
    experiment = simulate("lossy")
    # A pipeline that loses most of b's conversations before they reach the dashboard.
    b = Arm.objects.get(experiment=experiment, name="b")
    kept = Conversation.objects.filter(arm=b).values("visitor_id").distinct()[:8]
    ConversationFact.objects.filter(arm="lossy/b").exclude(
        conversation__visitor_id__in=[row["visitor_id"] for row in kept]
    ).delete()

    found = admin_client.get("/dashboard/api/experiments/lossy").json()
    assert found["sample_ratio"]["mismatch"] and found["sample_ratio"]["p_value"] < 0.001
    assert found["verdict"] == {**found["verdict"], "status": "sample_ratio_mismatch",
                                "winner": None}  # fmt: skip
    page = admin_client.get("/dashboard/experiments/lossy").content.decode()
    assert "Sample ratio mismatch" in page
    assert page.index("Sample ratio mismatch") < page.index('data-testid="verdict"')
    assert 'data-testid="winner"' not in page


def test_strangers_get_401_agents_403_unknown_names_404(transactional_db, capsys):
    agent = Client()
    agent.force_login(make_user("ann", role="agent"))
    assert Client().get("/dashboard/api/experiments/x").status_code == 401
    assert agent.get("/dashboard/api/experiments/x").status_code == 403
    page = Client().get("/dashboard/experiments/x")
    assert page.status_code == 302 and "/agent/login/" in page["Location"]
    make_user("ops", role="admin")
    call_command("create_api_token", "ops")
    token = capsys.readouterr().out.strip()
    missing = Client().get("/dashboard/api/experiments/nope",
                           HTTP_AUTHORIZATION=f"Bearer {token}")  # fmt: skip
    assert missing.status_code == 404 and "nope" in missing.json()["error"]


def test_the_experiment_command_starts_stops_and_refuses_what_would_break_it(variants):
    default, candidate = variants

    def run(*args: str) -> str:
        out = io.StringIO()
        call_command("experiment", *args, stdout=out)
        return out.getvalue()

    with pytest.raises(CommandError, match="--primary and two --arm"):
        run("start", "e1", "--arm", "a=default:1", "--planned-visitors", "100")
    with pytest.raises(CommandError, match="no model variant nope"):
        run("start", "e1", "--arm", "a=default", "--arm", "b=nope", "--primary",
            "escalation_rate", "--planned-visitors", "100")  # fmt: skip
    with pytest.raises(CommandError, match="NAME=VARIANT:WEIGHT"):
        run("start", "e1", "--arm", "a=default:0", "--arm", "b=candidate", "--primary",
            "escalation_rate", "--planned-visitors", "100")  # fmt: skip
    with pytest.raises(CommandError, match="planned number of visitors"):
        run("start", "e1", "--arm", "a=default", "--arm", "b=candidate", "--primary",
            "escalation_rate")  # fmt: skip
    with pytest.raises(CommandError, match="unknown metric"):
        run("start", "e1", "--arm", "a=default", "--arm", "b=candidate", "--primary",
            "escalation_rate", "--planned-visitors", "100", "--guardrail", "speed:0.1")  # fmt: skip
    assert not Experiment.objects.filter(status=Experiment.Status.RUNNING).exists()

    said = run("start", "e1", "--arm", "a=default:1", "--arm", "b=candidate:3", "--primary",
               "handling_time", "--guardrail", "csat_mean:0.2", "--sequential")  # fmt: skip
    assert "e1 is running" in said and "b=candidate:3" in said
    e1 = Experiment.objects.get(name="e1")
    assert e1.status == "running" and e1.started_at and e1.sequential
    assert e1.guardrails == [{"metric": "csat_mean", "margin": 0.2}]
    arms = {arm.name: (arm.variant, arm.weight, arm.is_control) for arm in e1.arms.all()}
    assert arms == {"a": (default, 1, True), "b": (candidate, 3, False)}

    with pytest.raises(CommandError, match="e1 is running; stop it first"):
        run("start", "e2", "--arm", "a=default", "--arm", "b=candidate", "--primary",
            "escalation_rate", "--planned-visitors", "100")  # fmt: skip
    assert not Experiment.objects.filter(name="e2", status="running").exists()
    with pytest.raises(CommandError, match="the control cannot stop"):
        run("stop", "e1", "--arm", "a")
    assert "e1/b stopped" in run("stop", "e1", "--arm", "b")
    assert Arm.objects.get(experiment=e1, name="b").stopped
    assert "stopped" in run("stop", "e1")
    with pytest.raises(CommandError, match="not running"):
        run("stop", "e1")
    with pytest.raises(CommandError, match="start a new experiment"):
        run("start", "e1")
    with pytest.raises(CommandError, match="no experiment named 'zz'"):
        run("show", "zz")
    shown = run("show", "e1")
    assert "verdict: not_enough_data" in shown
    counts = Experiment.objects.aggregate(n=Count("pk"))
    assert counts["n"] == 1  # the refused starts left nothing behind
