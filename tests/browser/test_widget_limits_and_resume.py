"""The widget in a real browser: a lost final frame recovered by a stall-triggered resume,
the token kept out of the socket URL, and refusals shown with their wait, translated."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest

pytestmark = pytest.mark.browser

BOT = '[data-testid="msg"][data-role="bot"]'


def test_a_lost_bot_done_is_recovered_once_without_a_reload(new_page, live_server_url):
    page = new_page()
    urls, lost = [], []

    def between(ws):
        # Everything passes, except the first bot.done from the server: dropped at the socket.
        urls.append(ws.url)
        server = ws.connect_to_server()

        def from_server(message):
            if not lost and isinstance(message, str) and json.loads(message)["type"] == "bot.done":
                lost.append(json.loads(message))
                return
            ws.send(message)

        server.on_message(from_server)

    page.route_web_socket(re.compile(r".*/ws/chat/.*"), between)
    page.goto(live_server_url + "/")
    page.get_by_test_id("launcher").click()
    page.get_by_test_id("input").fill("Where is my parcel?")
    page.keyboard.press("Enter")

    # Deltas built the bubble; its bot.done is lost; ~8 s later the widget resumes.
    done = page.locator(f'{BOT}[data-seq="2"][data-state="done"]')
    done.wait_for(timeout=120_000)
    assert lost and lost[0]["seq"] == 2
    assert done.text_content() == lost[0]["text"]
    assert page.locator(BOT).count() == 1
    page.wait_for_timeout(2000)  # a late duplicate would show by now
    assert page.locator(BOT).count() == 1
    assert urls and all("token" not in url for url in urls)


def spend_visitor_budget(server: str, visitor: str) -> dict:
    """Start conversations as ``visitor`` until the server refuses; the refusal's body."""
    for _ in range(500):
        request = urllib.request.Request(
            server + "/api/conversations",
            data=json.dumps({"visitor": visitor}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except urllib.error.HTTPError as refused:
            assert refused.code == 429
            return json.loads(refused.read())
    raise AssertionError("never refused")


def test_a_refused_start_says_when_in_the_visitors_language(new_page, live_server_url):
    refusal = spend_visitor_budget(live_server_url, "visitor-over-the-limit")
    assert refusal["error"] == "rate_limited" and refusal["retry_after"] > 60
    page = new_page()
    page.add_init_script(
        "localStorage.setItem('supportbot:visitor', JSON.stringify('visitor-over-the-limit'))"
    )
    page.goto(live_server_url + "/?locale=de")
    page.get_by_test_id("launcher").click()
    status = page.get_by_test_id("status")
    page.locator('[data-testid="status"][data-state="limited"]').wait_for()
    text = status.text_content()
    assert "zu viele Chats" in text and re.search(r"in \d+ Minuten", text), text
    assert "Verbindung" not in text  # not "reconnecting" forever
