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


ALL_HALF = {c: 0.5 for c in Category}


def test_one_sure_category_escalates_urgently_and_leads():
    scores = {Category.SELF_HARM: 0.97, Category.VIOLENCE: 0.6}
    verdict = decide("…", scores, ALL_HALF, [], actions_for())
    assert verdict.action is Action.ESCALATE
    assert verdict.primary is Category.SELF_HARM and verdict.urgent


def test_many_middling_categories_are_not_urgent_and_pick_no_special_handling():
    # The shape of the old false alarm on "tôi muốn nói chuyện với nhân viên".
    scores = {
        Category.VIOLENCE: 0.71,
        Category.SELF_HARM: 0.74,
        Category.SEXUAL: 0.62,
        Category.SEXUAL_MINORS: 0.66,
    }
    verdict = decide("…", scores, ALL_HALF, [], actions_for())
    assert verdict.action is Action.ESCALATE  # a person still looks at it
    assert not verdict.urgent
    assert verdict.primary is None  # so no crisis message for self-harm


def test_many_categories_with_one_sure_stay_urgent():
    scores = {Category.VIOLENCE: 0.95, Category.SELF_HARM: 0.6, Category.HATE: 0.6}
    verdict = decide("…", scores, ALL_HALF, [], actions_for())
    assert verdict.urgent and verdict.primary is Category.VIOLENCE


def test_the_primary_category_is_one_that_asks_for_the_action():
    # Hate (block) scores higher, but violence (escalate) decides the action.
    scores = {Category.HATE: 0.95, Category.VIOLENCE: 0.8}
    verdict = decide("…", scores, ALL_HALF, [], actions_for())
    assert verdict.action is Action.ESCALATE and verdict.primary is Category.VIOLENCE


def test_below_its_own_threshold_a_category_does_nothing():
    thresholds = ALL_HALF | {Category.SELF_HARM: 0.8}
    verdict = decide("…", {Category.SELF_HARM: 0.79}, thresholds, [], actions_for())
    assert verdict.action is Action.ALLOW and verdict.primary is None
