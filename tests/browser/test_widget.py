"""The widget in a real browser against the real server: send, watch it stream, reload."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

# Records every text the newest bot bubble shows, so the test can see it grow token by token.
WATCH_BOT_TEXT = """
() => {
  window.__botTexts = [];
  const root = document.getElementById('supportbot-widget').shadowRoot;
  new MutationObserver(() => {
    const bubbles = root.querySelectorAll('[data-testid="msg"][data-role="bot"]');
    const last = bubbles[bubbles.length - 1];
    if (last) window.__botTexts.push(last.textContent);
  }).observe(root, { subtree: true, childList: true, characterData: true });
}
"""


def test_customer_chats_sees_the_reply_stream_and_finds_it_after_reload(page, live_server_url):
    page.goto(live_server_url + "/")
    page.get_by_test_id("launcher").click()
    page.get_by_test_id("panel").wait_for(state="visible")
    page.evaluate(WATCH_BOT_TEXT)

    # Markup that must show as text. (With an onerror script the safety classifier refuses
    # the message as an injection attempt, and nothing streams.)
    question = "Where is my parcel? <img src=x>"
    page.get_by_test_id("input").fill(question)
    page.keyboard.press("Enter")

    customer = page.locator('[data-testid="msg"][data-role="customer"]')
    customer.first.wait_for()
    assert customer.first.text_content() == question  # shown as text, not markup
    assert page.locator("img[src=x]").count() == 0

    bot = page.locator('[data-testid="msg"][data-role="bot"][data-seq="2"]')
    bot.wait_for(timeout=60_000)
    final_text = bot.text_content()
    assert final_text

    snapshots = [t for t in page.evaluate("window.__botTexts") if t]
    growing = sorted({len(t) for t in snapshots})
    assert len(growing) >= 3, f"expected the reply to appear in pieces, saw {snapshots!r}"
    assert final_text.startswith(snapshots[0].rstrip()[:1])

    page.reload()
    page.get_by_test_id("panel").wait_for(state="visible")
    restored_bot = page.locator('[data-testid="msg"][data-role="bot"][data-seq="2"]')
    restored_bot.wait_for(timeout=30_000)
    assert restored_bot.text_content() == final_text
    restored_customer = page.locator('[data-testid="msg"][data-role="customer"]')
    assert restored_customer.count() == 1
    assert restored_customer.first.text_content() == question
