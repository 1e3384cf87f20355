"""The admin dashboard in a real browser against the real server: headline figures for a
chosen window, a drill-down into the console, the CSV export, and who may see it."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ADMIN = {"username": "dora", "password": "pw-dora"}  # tests.agents.conftest.make_user's passwords
AGENT = {"username": "ali", "password": "pw-ali"}
QUESTION = "How long does shipping take?"  # tests.analytics.history.QUESTION

# Three conversations on three known days, written through the product's services at those
# moments in a process of its own: its time travel ends with it, before any browser starts.
HISTORY = """
import json
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from tests.agents.conftest import make_user
from tests.analytics.history import Chat, Clock, load_some_articles

load_some_articles(Path(tempfile.mkdtemp()) / "kb")
make_user("dora", role="admin", first_name="Dora")
ali = make_user("ali", role="agent", first_name="Ali")
with Clock(datetime(2025, 3, 3, 10, 0, tzinfo=timezone.utc)) as clock:
    rated = Chat(clock)  # answered by the bot, resolved by the customer, rated 5
    rated.customer()
    rated.bot_reply(first_token_s=0.4, complete_s=1.5)
    clock.after(60)
    rated.customer_resolves()
    rated.rate(5)

    clock.at(datetime(2025, 3, 4, 11, 0, tzinfo=timezone.utc))
    escalated = Chat(clock)  # handed to a person, claimed and resolved by Ali
    escalated.customer()
    escalated.bot_reply(first_token_s=0.5, complete_s=2.0)
    clock.after(30)
    escalated.press_escalate()
    clock.after(45)
    escalated.claim(ali)
    escalated.agent_says(ali)
    clock.after(120)
    escalated.agent_resolves(ali)

    clock.at(datetime(2025, 3, 5, 9, 0, tzinfo=timezone.utc))
    still_open = Chat(clock)  # answered by the bot, still open
    still_open.customer()
    still_open.bot_reply(first_token_s=0.3, complete_s=1.0)
ids = {"rated": rated.public_id, "escalated": escalated.public_id, "open": still_open.public_id}
print("HISTORY " + json.dumps(ids))
"""


@pytest.fixture(scope="module")
def history(daphne_server) -> dict[str, str]:
    """The three conversations' public ids, by what happened to them."""
    output = daphne_server.manage("shell", "-c", HISTORY)
    line = next(line for line in output.splitlines() if line.startswith("HISTORY "))
    return json.loads(line.removeprefix("HISTORY "))


def log_in(page, base_url: str, user: dict[str, str], then: str) -> None:
    page.goto(f"{base_url}/agent/login/?next={then}")
    form = page.get_by_test_id("login-form")
    form.locator('input[name="username"]').fill(user["username"])
    form.locator('input[name="password"]').fill(user["password"])
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(base_url + then)


def choose_window(page, first_day: str, last_day: str) -> None:
    page.get_by_test_id("tz").select_option("UTC")
    page.get_by_test_id("from").fill(first_day)
    page.get_by_test_id("to").fill(last_day)


# -------------------------------------------------------------------- tests
def test_admin_reads_figures_drills_into_the_console_and_exports(
    new_page, live_server_url, history
):
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server_url, ADMIN, "/dashboard/")
    expect(page.get_by_test_id("updated")).to_have_text(re.compile(r"^updated \d\d:\d\d:\d\d$"))

    # given the three days of history
    choose_window(page, "2025-03-03", "2025-03-05")
    expect(page.get_by_test_id("card-conversations-value")).to_have_text("3")
    expect(page.get_by_test_id("card-escalation-value")).to_have_text("33.3%")
    expect(page.get_by_test_id("card-containment-value")).to_have_text("50.0%")
    expect(page.get_by_test_id("card-csat-value")).to_have_text("5.00 / 5")
    expect(page.get_by_test_id("table-agents")).to_contain_text("ali")
    expect(page.locator("#charts-unavailable")).to_be_hidden()  # Chart.js loaded, vendored

    # when the window loses its first day, then the figures follow
    page.get_by_test_id("from").fill("2025-03-04")
    expect(page.get_by_test_id("card-conversations-value")).to_have_text("2")
    expect(page.get_by_test_id("card-escalation-value")).to_have_text("50.0%")
    expect(page.get_by_test_id("card-csat-value")).to_have_text("—")  # nobody rated: no mean

    # the export carries the window: a header and one row per conversation in it
    with page.expect_download() as download:
        page.get_by_test_id("export").click()
    with open(download.value.path(), encoding="utf-8") as file:
        rows = list(csv.reader(io.StringIO(file.read())))
    assert rows[0][0] == "conversation"
    assert sorted(row[0] for row in rows[1:]) == sorted([history["escalated"], history["open"]])

    # the escalated count lists the conversation behind it, linked to the console
    page.get_by_test_id("drill-escalated").click()
    drill = page.get_by_test_id("drill-down")
    expect(drill).to_be_visible()
    expect(drill.get_by_test_id("drill-count")).to_have_text("1 conversation")
    link = drill.get_by_test_id("drill-link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", f"/agent/#conversation={history['escalated']}")

    # following it opens that transcript in the console
    link.click()
    page.wait_for_url(f"{live_server_url}/agent/#conversation={history['escalated']}")
    expect(page.get_by_test_id("conversation")).to_be_visible()
    expect(page.locator("#conv-heading")).to_have_text(f"Conversation {history['escalated'][:8]}")
    expect(page.get_by_test_id("conversation-state")).to_have_text("resolved")
    expect(page.get_by_test_id("transcript")).to_contain_text(QUESTION)
    assert errors == []


def test_agent_is_refused_and_stranger_is_sent_to_log_in(new_page, live_server_url, history):
    agent = new_page()
    log_in(agent, live_server_url, AGENT, "/agent/")
    response = agent.goto(live_server_url + "/dashboard/")
    assert response.status == 403

    stranger = new_page()
    stranger.goto(live_server_url + "/dashboard/")
    expect(stranger).to_have_url(re.compile(r"/agent/login/\?next=/dashboard/$"))
