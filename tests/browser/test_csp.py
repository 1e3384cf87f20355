"""Every page works under its Content-Security-Policy in a real browser: the console (login,
socket, a claimed chat), the dashboard, the experiments pages, the admin, and the widget on a
customer's page whose own policy allows only what docs/widget.md says. Any violation the
browser reports fails the test."""

from __future__ import annotations

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from tests.browser.test_dashboard import log_in

pytestmark = pytest.mark.browser

ADMIN = {"username": "cspadmin", "password": "pw-cspadmin"}  # make_user's password
MAKE_ADMIN = f"""
from tests.agents.conftest import make_user
make_user("{ADMIN["username"]}", role="admin", first_name="Cass")
"""
# Each violation the page sees is written to the console, which survives navigations.
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (e) => {
  console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`
                + ` at ${e.sourceFile}:${e.lineNumber}`);
});
"""
# The widget keeps its conversation in localStorage (supportbot:conversation:<server>).
CONVERSATION_ID = """
() => Object.keys(localStorage).filter((key) => key.startsWith("supportbot:conversation:"))
  .map((key) => JSON.parse(localStorage.getItem(key)).conversation)[0]
"""


@pytest.fixture(scope="module")
def admin_with_experiment(daphne_server) -> str:
    daphne_server.manage("shell", "-c", MAKE_ADMIN)
    daphne_server.manage(
        "simulate_experiment", "--name", "csp-check", "--visitors", "40", "--seed", "3",
    )  # fmt: skip
    return "csp-check"


class Violations:
    """The CSP violations and page errors a browser page reports, and the policy each page
    it loaded was served with."""

    def __init__(self, page):
        self.found: list[str] = []
        self.policies: dict[str, str] = {}
        page.add_init_script(REPORT_VIOLATIONS)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))
        page.on("response", self._response)

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text or "CSP violation" in message.text:
            self.found.append(message.text)

    def _response(self, response) -> None:
        if response.request.resource_type == "document":
            policy = response.headers.get("content-security-policy", "")
            self.policies[response.url.split("?")[0]] = policy


def watched(new_page):
    page = new_page()
    return page, Violations(page)


def assert_strict(policies: dict[str, str], url: str, *, inline_style: bool = False) -> None:
    policy = policies[url]
    assert (
        "script-src 'self'" in policy
        and "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    ), policy
    assert "frame-ancestors 'none'" in policy, policy
    assert re.search(r"connect-src 'self' ws://127\.0\.0\.1:\d+", policy), policy
    assert ("'unsafe-inline'" in policy) is inline_style, policy


def test_the_collector_sees_a_violation(new_page, live_server_url):
    """The checks below can fail: an inline script on a served page is blocked and reported."""
    page, violations = watched(new_page)
    page.goto(live_server_url + "/agent/login/")
    page.evaluate(
        "() => { const s = document.createElement('script');"
        " s.textContent = 'window.ran = 1'; document.body.append(s); }"
    )
    expect(page.get_by_test_id("login-form")).to_be_visible()
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran") is None
    assert any("script-src" in v for v in violations.found), violations.found


def test_console_and_widget_work_under_the_policy(new_page, live_server_url, admin_with_experiment):
    base = live_server_url
    # A customer on the demo shop asks for a person.
    customer, customer_violations = watched(new_page)
    customer.goto(base + "/")
    customer.get_by_test_id("launcher").click()
    customer.get_by_test_id("human-button").click()
    expect(customer.get_by_test_id("handoff-notice").first).to_be_visible()
    conversation = customer.evaluate(CONVERSATION_ID)

    # The agent fails a login once, logs in, and claims and answers the chat.
    console, violations = watched(new_page)
    console.goto(base + "/agent/login/")
    console.get_by_test_id("login-form").locator('input[name="username"]').fill("cspadmin")
    console.get_by_test_id("login-form").locator('input[name="password"]').fill("wrong")
    console.get_by_test_id("login-submit").click()
    expect(console.get_by_test_id("login-error")).to_be_visible()
    log_in(console, base, ADMIN, "/agent/")
    expect(console.get_by_test_id("connection-status")).to_have_attribute("data-state", "online")
    console.locator(f'[data-testid="queue-item"][data-conversation="{conversation}"]').click()
    expect(console.get_by_test_id("conversation")).to_be_visible()
    console.get_by_test_id("claim").click()
    console.get_by_test_id("composer").fill("Hello from the console.")
    console.get_by_test_id("composer").press("Enter")
    expect(customer.get_by_test_id("agent-message")).to_have_text("Hello from the console.")

    assert violations.found == [], violations.found
    assert customer_violations.found == [], customer_violations.found
    assert_strict(violations.policies, base + "/agent/login/")
    assert_strict(violations.policies, base + "/agent/")
    # The demo shop page itself still styles inline; never script.
    assert_strict(customer_violations.policies, base + "/", inline_style=True)


def test_dashboard_and_experiment_pages_work_under_the_policy(
    new_page, live_server_url, admin_with_experiment
):
    base = live_server_url
    page, violations = watched(new_page)
    log_in(page, base, ADMIN, "/dashboard/")
    expect(page.get_by_test_id("updated")).to_have_text(re.compile(r"^updated \d\d:\d\d:\d\d$"))
    expect(page.locator("#charts-unavailable")).to_be_hidden()  # Chart.js ran
    page.get_by_test_id("experiments-link").click()
    page.get_by_test_id("experiments").get_by_role("link", name=admin_with_experiment).click()
    page.wait_for_url(f"{base}/dashboard/experiments/{admin_with_experiment}")
    expect(page.get_by_test_id("verdict")).to_be_visible()
    expect(page.get_by_test_id("metrics")).to_be_visible()

    assert violations.found == [], violations.found
    for path in (
        "/dashboard/",
        "/dashboard/experiments/",
        f"/dashboard/experiments/{admin_with_experiment}",
    ):
        assert_strict(violations.policies, base + path)


def test_admin_pages_work_under_the_policy(new_page, live_server_url, admin_with_experiment):
    base = live_server_url
    page, violations = watched(new_page)
    page.goto(base + "/admin/login/")
    page.locator("#id_username").fill(ADMIN["username"])
    page.locator("#id_password").fill(ADMIN["password"])
    page.locator('input[type="submit"]').click()
    page.wait_for_url(base + "/admin/")
    page.goto(base + "/admin/auth/user/")
    page.get_by_role("link", name=ADMIN["username"]).click()
    expect(page.locator("#user_form")).to_be_visible()

    assert violations.found == [], violations.found
    assert_strict(violations.policies, base + "/admin/login/")
    assert_strict(violations.policies, base + "/admin/")


@pytest.fixture
def shop_with_a_strict_policy(live_server_url):
    """A customer's site on another origin (its own loopback server) that embeds the widget
    and allows nothing but our origin for the script and the connections (docs/widget.md,
    "Content-Security-Policy"): no inline style, nothing else."""
    base = live_server_url
    policy = (
        "default-src 'none'; "
        f"script-src {base}; "
        f"connect-src {base} ws://{base.removeprefix('http://')}; "
        "style-src 'none'; img-src 'none'"
    )
    html = (
        "<!doctype html><html><head><title>Shop</title></head><body><h1>Shop</h1>"
        f'<script src="{base}/static/supportbot/widget.js" data-server="{base}" defer></script>'
        "</body></html>"
    ).encode()

    class Shop(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Security-Policy", policy)
            self.send_header("Content-Length", str(len(html)))
            self.end_headers()
            self.wfile.write(html)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


def test_the_widget_works_on_a_customer_page_that_allows_only_what_the_docs_say(
    new_page, shop_with_a_strict_policy
):
    page, violations = watched(new_page)
    page.goto(shop_with_a_strict_policy)
    page.get_by_test_id("launcher").click()
    page.get_by_test_id("panel").wait_for(state="visible")
    page.get_by_test_id("human-button").click()
    expect(page.get_by_test_id("handoff-notice").first).to_be_visible()
    # The widget's own stylesheet applied (a constructed sheet, which the policy allows).
    launcher = page.get_by_test_id("launcher")
    assert launcher.evaluate("el => getComputedStyle(el).position") == "fixed"
    assert violations.found == [], violations.found
