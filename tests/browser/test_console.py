"""The agent console and the widget's handoff in real browsers against the real server: a
customer asks for a person, an agent claims, they talk, the agent resolves, the customer rates."""

from __future__ import annotations

import sqlite3
import uuid
from contextlib import closing

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

AGENT_PASSWORD = "correct horse battery staple"
PLAIN_PASSWORD = "not-an-agent-pw"
# The widget keeps {conversation, token, ws, language} in localStorage under this prefix.
CONVERSATION_ID = """
() => {
  for (let i = 0; i < localStorage.length; i++) {
    const key = localStorage.key(i);
    if (key.startsWith('supportbot:conversation:')) {
      return JSON.parse(localStorage.getItem(key)).conversation;
    }
  }
  return null;
}
"""


# ----------------------------------------------------------------- personas
@pytest.fixture(scope="session")
def anna(daphne_server):
    """An agent; customers see her first name."""
    daphne_server.manage(
        "create_agent",
        "anna",
        "--first-name",
        "Anna",
        env={"SUPPORTBOT_AGENT_PASSWORD": AGENT_PASSWORD},
    )
    return {"username": "anna", "password": AGENT_PASSWORD}


@pytest.fixture(scope="session")
def plain_user(daphne_server):
    """A logged-in user who is neither agent nor admin."""
    daphne_server.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.create_user('plain', password={PLAIN_PASSWORD!r})",
    )
    return {"username": "plain", "password": PLAIN_PASSWORD}


@pytest.fixture
def customer(new_page, live_server_url):
    """The demo page with the widget open."""
    page = new_page()
    page.goto(live_server_url + "/")
    page.get_by_test_id("launcher").click()
    page.get_by_test_id("panel").wait_for(state="visible")
    return page


@pytest.fixture
def console(new_page, live_server_url, anna):
    """Anna's agent console, logged in and connected."""
    page = new_page()
    log_in(page, live_server_url, anna)
    expect(page).to_have_url(live_server_url + "/agent/")
    expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "online")
    return page


# ------------------------------------------------------------------ helpers
def log_in(page, base_url: str, user: dict[str, str]) -> None:
    page.goto(base_url + "/agent/login/")
    form = page.get_by_test_id("login-form")
    form.locator('input[name="username"]').fill(user["username"])
    form.locator('input[name="password"]').fill(user["password"])
    page.get_by_test_id("login-submit").click()


def ask_for_a_person(customer) -> str:
    """Press "Talk to a person"; returns the conversation's public id once it is escalated."""
    customer.get_by_test_id("human-button").click()
    expect(customer.get_by_test_id("handoff-notice").first).to_be_visible()
    conversation = customer.evaluate(CONVERSATION_ID)
    assert conversation, "the widget keeps its conversation in localStorage"
    return conversation


def open_from_queue(console, conversation: str):
    item = console.locator(f'[data-testid="queue-item"][data-conversation="{conversation}"]')
    item.click()
    expect(console.get_by_test_id("conversation")).to_be_visible()
    return item


def read_only_db(daphne_server) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{daphne_server.db_path}?mode=ro", uri=True, timeout=10)


# -------------------------------------------------------------------- tests
def test_customer_asks_for_a_person_talks_to_the_agent_and_rates_the_chat(
    customer, console, daphne_server
):
    # given a customer who asks for a person
    conversation = ask_for_a_person(customer)

    # when the agent opens the conversation from the queue and claims it
    item = open_from_queue(console, conversation)
    expect(item).to_have_attribute("data-state", "waiting_agent")
    expect(console.get_by_test_id("claim")).to_be_enabled()
    console.keyboard.press("Alt+C")
    expect(console.get_by_test_id("conversation-assigned")).to_have_text("you")
    expect(console.get_by_test_id("composer")).to_be_focused()

    # then the customer sees who is helping them
    expect(customer.get_by_test_id("agent-name")).to_be_visible()
    expect(customer.get_by_test_id("agent-name")).to_contain_text("Anna")

    # when the agent answers
    console.get_by_test_id("composer").fill("Hi, I'm Anna. How can I help?")
    console.get_by_test_id("composer").press("Enter")
    expect(console.get_by_test_id("composer")).to_have_value("")

    # then the customer sees it as the agent's message
    agent_message = customer.get_by_test_id("agent-message")
    expect(agent_message).to_have_count(1)
    expect(agent_message).to_have_text("Hi, I'm Anna. How can I help?")
    expect(customer.get_by_test_id("agent-author")).to_contain_text("Anna")

    # and the customer's answer reaches the agent's transcript
    customer.get_by_test_id("input").fill("My parcel has not arrived.")
    customer.keyboard.press("Enter")
    from_customer = console.locator('[data-testid="transcript-message"][data-role="customer"]')
    expect(from_customer).to_have_count(1)
    expect(from_customer.locator(".msg-text")).to_have_text("My parcel has not arrived.")

    # when the agent resolves, the customer is asked for a rating and gives one
    console.get_by_test_id("resolve").click()
    expect(console.get_by_test_id("conversation-state")).to_have_attribute("data-state", "resolved")
    expect(customer.get_by_test_id("csat-prompt")).to_be_visible()
    customer.locator('[data-testid="csat-star"][data-rating="4"]').click()
    customer.get_by_test_id("csat-comment").fill("Quick and friendly.")
    customer.get_by_test_id("csat-submit").click()
    expect(customer.get_by_test_id("csat-thanks")).to_be_visible()
    expect(customer.get_by_test_id("csat-prompt")).to_be_hidden()

    # then the database holds the rating, counted as handled by a person
    with closing(read_only_db(daphne_server)) as db:
        rows = db.execute(
            "SELECT r.rating, r.handled_by, r.comment, c.state"
            " FROM chat_csatresponse r JOIN chat_conversation c ON c.id = r.conversation_id"
            " WHERE c.public_id = ?",
            (uuid.UUID(conversation).hex,),
        ).fetchall()
    assert rows == [(4, "human", "Quick and friendly.", "resolved")]


def test_customer_markup_shows_as_text_in_the_console(customer, console):
    dialogs = []
    for page in (customer, console):
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    conversation = ask_for_a_person(customer)
    before = "<img src=x onerror=alert(1)><script>alert(2)</script>"
    customer.get_by_test_id("input").fill(before)
    customer.keyboard.press("Enter")
    expect(customer.locator('[data-testid="msg"][data-role="customer"][data-seq]')).to_have_count(1)

    # the transcript the console loads on opening, then a message that arrives live
    open_from_queue(console, conversation)
    messages = console.locator('[data-testid="transcript-message"][data-role="customer"]')
    expect(messages).to_have_count(1)
    live = '<svg onload=alert(3)></svg><a href="javascript:alert(4)">click</a>'
    customer.get_by_test_id("input").fill(live)
    customer.keyboard.press("Enter")

    expect(messages).to_have_count(2)
    expect(messages.locator(".msg-text")).to_have_text([before, live])
    assert console.locator("#transcript :is(img, script, svg, a)").count() == 0
    queue_item = console.locator(f'[data-testid="queue-item"][data-conversation="{conversation}"]')
    assert queue_item.locator(":is(img, script, svg, a)").count() == 0
    assert dialogs == []


def test_login_refuses_a_wrong_password_and_the_console_refuses_non_agents(
    new_page, live_server_url, anna, plain_user
):
    page = new_page()
    page.goto(live_server_url + "/agent/")
    expect(page).to_have_url(live_server_url + "/agent/login/?next=/agent/")

    log_in(page, live_server_url, {**anna, "password": "wrong"})
    expect(page.get_by_test_id("login-error")).to_be_visible()
    expect(page).to_have_url(live_server_url + "/agent/login/")

    other = new_page()
    log_in(other, live_server_url, plain_user)
    expect(other).to_have_url(live_server_url + "/agent/")
    response = other.goto(live_server_url + "/agent/")
    assert response.status == 403
    assert other.get_by_test_id("queue").count() == 0


def test_asking_for_a_person_while_the_chat_is_being_opened_is_not_lost(new_page, live_server_url):
    """On a slow network the customer can press the button before the conversation exists:
    the request waits for it, and goes as soon as the socket opens."""
    page = new_page()
    held = []  # the conversation's creation, held until the button is pressed
    page.route("**/api/conversations", lambda route: held.append(route))
    page.goto(live_server_url + "/")
    page.get_by_test_id("launcher").click()
    page.get_by_test_id("panel").wait_for(state="visible")
    for _ in range(200):
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "opening the panel starts a conversation"

    page.get_by_test_id("human-button").click()
    expect(page.get_by_test_id("human-button")).to_be_disabled()
    held[0].continue_()

    expect(page.get_by_test_id("handoff-notice").first).to_be_visible()
    expect(page.get_by_test_id("human-button")).to_be_disabled()  # people have it now
