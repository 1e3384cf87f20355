"""The dashboard's JSON and CSV from outside: who may read them, how bad parameters are
answered, and that the CSV re-aggregates to the summary and the drill-down to its count."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from supportbot.analytics import metrics
from supportbot.chat.models import Reason
from tests.agents.conftest import make_user
from tests.analytics.history import Chat, Clock

pytestmark = pytest.mark.django_db(transaction=True)

DAY = datetime(2026, 4, 2, tzinfo=UTC)
RANGE = {"from": "2026-04-02", "to": "2026-04-03", "tz": "UTC"}
EMAIL = "jane.doe@example.com"


@pytest.fixture
def history(demo_kb, team):
    anna, _ben = team
    with Clock(DAY + timedelta(hours=9)) as clock:
        first = Chat(clock)
        first.customer(f"How long does shipping take? Write to me at {EMAIL}")
        first.bot_reply(first_token_s=0.5, complete_s=2.0)
        clock.after(30)
        first.customer_resolves()
        first.rate(5)
        second = Chat(clock.after(3600), locale="de")
        second.customer("Wie lange dauert der Versand?")
        second.escalate(Reason.CUSTOMER_REQUEST)
        clock.after(20)
        second.claim(anna)
        second.agent_says(anna)
        clock.after(100)
        second.agent_resolves(anna)
        second.rate(2)
        third = Chat(clock.after(3600))
        third.customer()
        Chat(clock.at(DAY + timedelta(days=1, hours=1))).customer()  # the next day
    return first, second, third


@pytest.fixture
def admin_client(transactional_db) -> Client:
    client = Client()
    client.force_login(make_user("lee", role="admin"))
    return client


def test_strangers_get_401_agents_403_and_the_page_sends_strangers_to_login(transactional_db):
    assert Client().get("/dashboard/api/summary").status_code == 401
    page = Client().get("/dashboard/")
    assert page.status_code == 302 and page["Location"].startswith("/agent/login/")
    agent = Client()
    agent.force_login(make_user("anna-agent"))
    assert agent.get("/dashboard/api/summary").status_code == 403
    assert agent.get("/dashboard/export.csv").status_code == 403
    assert agent.get("/dashboard/").status_code == 403


def test_summary_answers_with_the_metrics_modules_numbers(history, admin_client):
    body = admin_client.get("/dashboard/api/summary", RANGE).json()
    expected = metrics.summary(metrics.Window(start=DAY, end=DAY + timedelta(days=1)))
    assert body["conversations"] == 3
    assert body["escalation_rate"] == {**expected["escalation_rate"], "value": 1 / 3}
    for key in ("containment_rate", "csat", "bot_response_ms", "handling_time_s",
                "first_human_response_s", "safety", "tokens", "cost"):  # fmt: skip
        assert body[key] == expected[key], key
    assert body["csat"]["mean"] == 3.5 and body["csat"]["top2_share"]["numerator"] == 1
    german = admin_client.get("/dashboard/api/summary", {**RANGE, "language": "de"}).json()
    assert german["conversations"] == 1


def test_bad_parameters_are_400s_that_name_them(admin_client):
    cases = {
        "from": {"from": "yesterday"},
        "tz": {"tz": "Mars/Olympus_Mons"},
        "to": {"from": "2026-04-03", "to": "2026-04-02"},
    }
    for name, query in cases.items():
        response = admin_client.get("/dashboard/api/summary", query)
        assert response.status_code == 400
        assert response.json()["error"].startswith(name), response.json()
    unknown = admin_client.get("/dashboard/api/conversations", {"select": "everything"})
    assert unknown.status_code == 400 and "select" in unknown.json()["error"]
    assert admin_client.get("/dashboard/api/conversations", {"limit": "0"}).status_code == 400


def test_an_admin_token_reads_the_api_and_a_bad_one_does_not(history, capsys):
    with pytest.raises(CommandError, match="not an admin"):
        call_command("create_api_token", "anna")
    make_user("ops", role="admin")
    call_command("create_api_token", "ops", name="grafana")
    token = capsys.readouterr().out.strip()
    assert token.startswith("sbk_")
    client = Client()
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get("/dashboard/api/summary", RANGE, **auth).json()["conversations"] == 3
    bad = {"HTTP_AUTHORIZATION": "Bearer sbk_not-a-token"}
    assert client.get("/dashboard/api/summary", RANGE, **bad).status_code == 401
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="ops").update(is_active=False)
    assert client.get("/dashboard/api/summary", RANGE, **auth).status_code == 401


def test_the_csv_adds_up_to_the_summary_and_carries_no_personal_data(history, admin_client):
    response = admin_client.get("/dashboard/export.csv", RANGE)
    assert response.status_code == 200 and response.streaming
    text = b"".join(response.streaming_content).decode()
    assert EMAIL not in text and "Versand" not in text
    rows = list(csv.DictReader(io.StringIO(text)))
    summary = admin_client.get("/dashboard/api/summary", RANGE).json()
    assert len(rows) == summary["conversations"]
    escalated = sum(int(r["escalations"]) > 0 for r in rows)
    assert escalated == summary["escalation_rate"]["numerator"]
    resolved = [r for r in rows if r["resolved_at"]]
    assert len(resolved) == summary["containment_rate"]["denominator"]
    contained = [r for r in resolved if r["escalations"] == "0"]
    assert len(contained) == summary["containment_rate"]["numerator"]
    ratings = [int(r["csat_rating"]) for r in rows if r["csat_rating"]]
    assert sum(ratings) / len(ratings) == summary["csat"]["mean"]
    assert sum(int(r["csat_requested"]) for r in rows) == summary["csat"]["requested"]
    assert sum(int(r["customer_messages"]) for r in rows) == summary["safety"]["customer_messages"]
    prompt = sum(
        int(r[f"{p}_prompt_tokens"]) for r in rows for p in ("reply", "draft", "translation")
    )
    assert prompt == summary["tokens"]["total"]["prompt"]
    handling = sorted(float(r["handling_s"]) for r in resolved)
    assert sum(handling) / len(handling) == pytest.approx(summary["handling_time_s"]["all"]["mean"])


def test_csv_cells_never_start_a_spreadsheet_formula(demo_kb, admin_client):
    with Clock(DAY) as clock:
        chat = Chat(clock)
        chat.customer()
        chat.escalate(Reason.CUSTOMER_REQUEST)
        sneaky = make_user("-2+3@cmd")
        chat.claim(sneaky)
        chat.agent_resolves(sneaky)
    text = b"".join(admin_client.get("/dashboard/export.csv", RANGE).streaming_content).decode()
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["agent"] == "'-2+3@cmd"


def test_the_drill_down_lists_the_conversations_behind_a_number(history, admin_client):
    first, second, _third = history
    body = admin_client.get("/dashboard/api/conversations", {**RANGE, "select": "escalated"}).json()
    assert body["count"] == 1
    assert [c["public_id"] for c in body["conversations"]] == [second.public_id]
    assert body["conversations"][0]["url"] == f"/agent/#conversation={second.public_id}"
    by_reason = admin_client.get(
        "/dashboard/api/conversations", {**RANGE, "select": "reason:customer_request"}
    ).json()
    assert by_reason["count"] == 1
    paged = admin_client.get("/dashboard/api/conversations", {**RANGE, "limit": 2}).json()
    assert (paged["count"], len(paged["conversations"]), paged["next_offset"]) == (3, 2, 2)
    contained = admin_client.get(
        "/dashboard/api/conversations", {**RANGE, "select": "contained"}
    ).json()
    assert [c["public_id"] for c in contained["conversations"]] == [first.public_id]


def test_tables_and_daily_series(history, admin_client):
    tables = admin_client.get("/dashboard/api/tables", RANGE).json()
    languages = {row["key"]: row["conversations"] for row in tables["language"]}
    assert languages == {"en": 2, "de": 1}
    (anna,) = tables["agents"]
    assert (anna["agent"], anna["cycles"], anna["answered_cycles"]) == ("anna", 1, 1)
    assert anna["csat_mean"] == 2.0
    daily = admin_client.get("/dashboard/api/daily", {"from": "2026-04-01", "to": "2026-04-04"})
    days = {row["day"]: row["conversations"] for row in daily.json()["days"]}
    assert days == {"2026-04-02": 3, "2026-04-03": 1}
    assert daily.json()["from_rollups"] is True
