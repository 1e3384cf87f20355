"""The policy: findings to one action, deployment overrides, redaction."""

from __future__ import annotations

import pytest

from supportbot.safety.pii import redact
from supportbot.safety.policy import actions_for, decide, parse_actions
from supportbot.safety.verdict import Action, Category, Span

THRESHOLDS = {Category.INJECTION: 0.5, Category.SELF_HARM: 0.5, Category.HATE: 0.5}


def test_nothing_found_is_allowed_and_unchanged():
    verdict = decide("Where is my order?", {Category.INJECTION: 0.1}, THRESHOLDS, [], actions_for())
    assert verdict.action is Action.ALLOW and verdict.categories == ()
    assert verdict.redacted == "Where is my order?"


def test_pii_is_redacted_and_the_strongest_action_wins():
    text = "Mail me at ann@example.com, I will hurt myself"
    spans = [Span(11, 26, Category.PII_EMAIL)]
    verdict = decide(text, {Category.SELF_HARM: 0.9}, THRESHOLDS, spans, actions_for())
    assert verdict.action is Action.ESCALATE
    assert verdict.categories == (Category.SELF_HARM, Category.PII_EMAIL)
    assert verdict.redacted == "Mail me at [EMAIL], I will hurt myself"


def test_a_deployment_can_change_what_a_category_does():
    overrides = parse_actions("hate=escalate, pii_email=allow")
    text = "ann@example.com"
    verdict = decide(
        text, {Category.HATE: 0.9}, THRESHOLDS, [Span(0, 15, Category.PII_EMAIL)],
        actions_for(overrides),
    )  # fmt: skip
    assert verdict.action is Action.ESCALATE
    assert verdict.redacted == text  # allowed PII stays


@pytest.mark.parametrize("spec", ["hate=shout", "racism=block", "hate"])
def test_bad_overrides_are_refused_with_the_choices(spec):
    with pytest.raises(ValueError, match="allow\\|redact\\|block\\|escalate"):
        parse_actions(spec)


def test_redaction_keeps_the_rest_byte_identical_and_resolves_overlaps():
    text = "IBAN DE89 3704 0044 0532 0130 00 ✓ tel +49 30 123456"
    spans = [
        Span(5, 32, Category.PII_IBAN),
        Span(10, 20, Category.PII_PHONE),  # overlaps the IBAN
        Span(39, 52, Category.PII_PHONE),
    ]
    assert redact(text, spans) == "IBAN [IBAN] ✓ tel [PHONE]"
