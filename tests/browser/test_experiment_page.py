"""An experiment's results page in a real browser against the real server: reached from the
dashboard, the split check first, the verdict the simulated truths make, the metrics table,
and the same figures as the JSON beside it."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import ADMIN, log_in

pytestmark = pytest.mark.browser

# The live server's database lives for the session: the dashboard tests may have made her.
ADMIN_USER = f"""
from django.contrib.auth import get_user_model
from tests.agents.conftest import make_user
if not get_user_model().objects.filter(username="{ADMIN["username"]}").exists():
    make_user("{ADMIN["username"]}", role="admin", first_name="Dora")
"""


@pytest.fixture(scope="module")
def experiment(daphne_server) -> str:
    daphne_server.manage("shell", "-c", ADMIN_USER)
    daphne_server.manage(
        "simulate_experiment", "--name", "clear-win", "--visitors", "60", "--seed", "5",
        "--escalation", "0.6", "0.05", "--handling", "30", "3", "--csat", "2", "4.8",
    )  # fmt: skip
    return "clear-win"


def test_admin_reads_an_experiment_from_the_dashboard(new_page, live_server_url, experiment):
    page = new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    log_in(page, live_server_url, ADMIN, "/dashboard/")
    page.get_by_test_id("experiments-link").click()
    listing = page.get_by_test_id("experiments")
    expect(listing).to_contain_text("clear-win")
    listing.get_by_role("link", name="clear-win").click()
    page.wait_for_url(f"{live_server_url}/dashboard/experiments/clear-win")

    srm, verdict = page.get_by_test_id("srm"), page.get_by_test_id("verdict")
    expect(srm).to_contain_text("Split as planned")
    # The split check is the first thing on the page, above the verdict.
    assert srm.bounding_box()["y"] < verdict.bounding_box()["y"]
    expect(verdict).to_have_attribute("data-status", "winner")
    expect(page.get_by_test_id("winner")).to_have_text("b")

    table = page.get_by_test_id("metrics")
    primary = table.locator("tr.primary")
    expect(primary).to_have_attribute("data-metric", "escalation_rate")
    expect(primary).to_contain_text("primary")
    diff = page.get_by_test_id("diff-escalation_rate-b")
    expect(diff).to_contain_text("significant")
    expect(diff).to_have_class("diff better")

    found = json.loads(page.request.get(f"{live_server_url}/dashboard/api/experiments/clear-win")
                       .text())  # fmt: skip
    b = found["arms"][1]
    shown = f"{b['metrics']['escalation_rate']['value'] * 100:.1f} %"
    expect(primary.locator("td").nth(1)).to_contain_text(shown)
    expect(table).to_contain_text(f"{b['visitors']} visitors")
    assert errors == []
