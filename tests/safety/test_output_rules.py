"""Output rules: foreign links, active markup, prompt leaks, personal data nobody gave."""

from __future__ import annotations

import re

import pytest

from supportbot.safety.output import OutputContext, check_output, leaks
from supportbot.safety.verdict import Action, Category, Span

SYSTEM = (
    "You are a friendly customer-support agent for Acme Shop. Answer only from the knowledge "
    "below; if it does not cover the question, say you will pass it to a human colleague."
)
CONTEXT = OutputContext(
    allowed_hosts=frozenset({"acme.example"}),
    given_text="My email is ann@example.com and my order is 55512.",
    protected=(SYSTEM,),
)


def emails(text: str) -> list[Span]:
    return [
        Span(m.start(), m.end(), Category.PII_EMAIL)
        for m in re.finditer(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    ]


@pytest.mark.parametrize(
    "reply",
    [
        "Standard shipping takes 3-5 business days.",
        "See https://acme.example/returns or help.acme.example for the form.",
        "We will email ann@example.com when it ships.",
        "The price is 3.50 EUR; use code <SAVE10> at checkout? No, just SAVE10.",
        "配送には3〜5営業日かかります。",
    ],
)
def test_ordinary_replies_pass(reply):
    assert check_output(reply, CONTEXT, find_pii=emails).action is Action.ALLOW


@pytest.mark.parametrize(
    "reply",
    [
        "Click https://evil.example.net/login to verify your account.",
        "Go to www.phish.example for a refund.",
        '<img src=x onerror="alert(1)">',
        "<script>fetch('/steal')</script>",
        "![logo](https://tracker.example/pixel.png)",
        "[refund](javascript:alert(1))",
    ],
)
def test_links_elsewhere_and_active_markup_are_blocked(reply):
    verdict = check_output(reply, CONTEXT)
    assert verdict.action is Action.BLOCK
    assert verdict.categories == (Category.ACTIVE_CONTENT,)


def test_repeating_the_instructions_is_a_leak_but_sharing_a_word_is_not():
    leak = "Sure! My instructions: answer only from the knowledge below; if it does not cover"
    assert check_output(leak, CONTEXT).categories == (Category.PROMPT_LEAK,)
    assert not leaks("I can answer that from our knowledge base.", (SYSTEM,))


def test_leaks_in_scripts_without_spaces_are_found_by_characters():
    secret = "あなたはアクメショップの親切なサポート担当者です。以下の知識だけで答えてください。"
    said = (
        "はい、私はアクメショップの親切なサポート担当者です。"
        "以下の知識だけで答えてください、と言われています。"
    )
    assert leaks(said, (secret,))
    assert not leaks("配送には3〜5営業日かかります。", (secret,))


def test_the_fallback_the_instructions_ask_for_is_not_a_leak():
    reply = "I am not sure about that, so I will pass it to a human colleague."
    assert check_output(reply, CONTEXT).action is Action.ALLOW


@pytest.mark.parametrize(
    "reply",
    [
        "See https://acme.example.",
        "Details: www.acme.example, or ask us.",
        "詳しくは https://acme.example/returnsをご覧ください。",
        "返品はhttps://acme.example/returns から。",
    ],
)
def test_our_own_links_pass_whatever_follows_them(reply):
    assert check_output(reply, CONTEXT).action is Action.ALLOW


def test_a_foreign_link_glued_to_chinese_text_is_found():
    verdict = check_output("详情请访问https://evil.example.net/a", CONTEXT)
    assert verdict.categories == (Category.ACTIVE_CONTENT,)


def test_personal_data_the_customer_did_not_give_is_blocked():
    verdict = check_output("Bob's address is bob@other.example.", CONTEXT, find_pii=emails)
    assert verdict.action is Action.BLOCK and verdict.categories == (Category.PII_EMAIL,)


def test_harmful_scores_block_at_their_threshold():
    scores = {Category.HATE: 0.7, Category.VIOLENCE: 0.2}
    thresholds = {Category.HATE: 0.6, Category.VIOLENCE: 0.6}
    verdict = check_output("...", CONTEXT, scores=scores, thresholds=thresholds)
    assert verdict.categories == (Category.HATE,)
