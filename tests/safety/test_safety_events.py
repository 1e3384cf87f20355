"""The safety log keeps decisions, never a plain allow, and never the raw personal data."""

from __future__ import annotations

import pytest

from supportbot.chat import services
from supportbot.safety.models import SafetyEvent
from supportbot.safety.verdict import Action, Category, Verdict

pytestmark = pytest.mark.django_db


def test_decisions_are_logged_with_redacted_excerpts_and_allows_are_not():
    conversation, _ = services.create_conversation(locale="en", visitor_id="v")
    assert (
        SafetyEvent.record(
            Verdict(Action.ALLOW, redacted="hi"), conversation_id=conversation.pk, direction="input"
        )
        is None
    )
    verdict = Verdict(
        Action.REDACT,
        categories=(Category.PII_CARD,),
        scores={"injection": 0.01},
        redacted="my card is [CARD]",
    )
    event = SafetyEvent.record(
        verdict, conversation_id=conversation.pk, direction="input", language="en"
    )
    event.refresh_from_db()
    assert (event.action, event.categories, event.excerpt) == (
        "redact", ["pii_card"], "my card is [CARD]",
    )  # fmt: skip
    assert list(conversation.safety_events.all()) == [event]
