"""``manage.py seed_demo``: a believable history written through the product's services, the
same figures for the same seed, and never into a database without DEBUG unless forced."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Sum

from supportbot.analytics.metrics import Window, summary
from supportbot.analytics.models import (
    ROLLUP_COUNTERS,
    ConversationFact,
    DailyRollup,
    ReplyFact,
    Segment,
)
from supportbot.chat.models import Conversation
from supportbot.serving.models import GenerationRecord
from tests.analytics.history import load_some_articles

pytestmark = pytest.mark.django_db(transaction=True)

# A Wednesday afternoon: the agents' shifts and the daily pattern are the same on every run.
NOW = datetime(2025, 6, 18, 14, 25, tzinfo=UTC)


def seed(**options) -> str:
    out = io.StringIO()
    call_command("seed_demo", conversations=30, days=5, seed=1, stdout=out, **options)
    return out.getvalue()


def rollup_totals() -> dict:
    return DailyRollup.objects.aggregate(**{name: Sum(name) for name in ROLLUP_COUNTERS})


def forget_the_seeded_history() -> None:
    Conversation.objects.all().delete()  # messages, events, facts, ratings, safety events
    GenerationRecord.objects.all().delete()
    DailyRollup.objects.all().delete()


@pytest.fixture
def debug(settings):
    settings.DEBUG = True


@pytest.fixture
def articles(transactional_db, tmp_path):
    """A few articles in six languages (the command loads all 231 into an empty knowledge
    base, and embedding them takes minutes on two cores)."""
    load_some_articles(tmp_path / "kb", languages=("en", "de", "fr", "es", "ja", "zh"))


def test_seed_demo_writes_a_believable_history(debug, articles):
    with time_machine.travel(NOW, tick=False):
        report = seed()

    facts = ConversationFact.objects.all()
    assert facts.count() == 30
    assert all(NOW - timedelta(days=5) <= f.started_at < NOW for f in facts)
    assert facts.values("language").distinct().count() >= 4
    assert facts.filter(escalations__gt=0).exists()
    assert facts.filter(segment=Segment.HUMAN).exists()
    assert facts.filter(csat_rating__isnull=False).exists()
    assert facts.filter(resolve_reason="idle_timeout").exists()
    timed = ReplyFact.objects.filter(normal=True, first_token_ms__isnull=False)
    assert timed.count() >= 20
    assert all(0 < r.first_token_ms < r.complete_ms for r in timed)
    assert facts.aggregate(n=Sum("reply_prompt_tokens"))["n"] > 0
    agents = get_user_model().objects.filter(username__startswith="demo-agent-")
    assert agents.count() == 4
    assert not any(agent.has_usable_password() for agent in agents)
    assert "seeded 30 of 30 conversations" in report

    # The charts' rollups add up to the summary's counts.
    figures = summary(Window())
    totals = rollup_totals()
    assert totals["conversations"] == figures["conversations"] == 30
    assert totals["escalated"] == figures["escalation_rate"]["numerator"]
    assert totals["resolved"] == figures["resolved"]
    assert totals["contained"] == figures["containment_rate"]["numerator"]
    assert totals["open"] == figures["open"]
    assert totals["csat_requested"] == figures["csat"]["requested"]
    assert totals["csat_responses"] == figures["csat"]["responses"]
    assert totals["csat_sum"] == figures["csat"]["rating_sum"]
    assert totals["customer_messages"] == figures["safety"]["customer_messages"]
    assert totals["prompt_tokens"] == figures["tokens"]["total"]["prompt"]
    assert totals["completion_tokens"] == figures["tokens"]["total"]["completion"]


def test_the_same_seed_gives_the_same_figures(debug, articles, settings):
    with time_machine.travel(NOW, tick=False):
        seed()
        first = summary(Window())
        forget_the_seeded_history()
        # Without DEBUG, --force lets it write all the same.
        settings.DEBUG = False
        seed(force=True)
        second = summary(Window())

    assert first["conversations"] == 30
    assert second == first


def test_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        seed()

    assert not Conversation.objects.exists()
