"""Weeks of believable history for the dashboard, written through the product's own services
(``manage.py seed_demo`` is the way in; ``seed_history`` is the one entry point).

Every row comes from the service that writes it in production: conversations opened and
messages received by ``chat.services``, the model's replies stored by ``chat.replies`` with the
engine's timings and accounted by ``serving.accounting``, hand-overs, claims, transfers and
resolves by ``chat.escalation`` and ``agents.services``, ratings by ``chat.csat``, idle closes
by ``resolve_idle`` as the cron job runs it, and the analytics facts by their own receivers.
Each step runs with the clock (``time_machine``) at its moment, so every timestamp is the one
the services would have written then; all conversations advance together, in time order.

Simulated rather than run: the model (``actions``), the escalation detectors (``scenarios``:
loading their example banks takes half a minute) and the agents' consoles (``team``: their
presence rows say who is on shift). Replies are planned as in answer mode ``generate``,
whatever this deployment's mode, so every reply carries an engine's figures; and nothing is
broadcast, since nobody is connected to last week's conversations.

Deterministic for a seed: times are laid out back from the start of the current hour, and
each conversation draws from its own random stream.

The parts: ``texts`` (what customers say), ``timeline`` (the clock and the order of steps),
``team`` (agents and shifts), ``actions`` (one message, reply or rating through its service),
``scenarios`` (what one conversation does), ``report`` (the summary line).
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable
from typing import TextIO

from django.conf import settings
from django.core.management import call_command
from django.test.utils import override_settings
from django.utils import timezone

from supportbot.agents import notify
from supportbot.analytics.demo.actions import Actions
from supportbot.analytics.demo.chance import pick
from supportbot.analytics.demo.report import SeedReport
from supportbot.analytics.demo.scenarios import Scenarios
from supportbot.analytics.demo.team import Team
from supportbot.analytics.demo.texts import LANGUAGES, TOPICS, pick_questions, texts_to_embed
from supportbot.analytics.demo.timeline import Timeline, first_messages
from supportbot.analytics.facts import rollup_zone
from supportbot.chat import broadcast
from supportbot.chat.models import Conversation
from supportbot.embeddings.service import get_embedder
from supportbot.knowledge.models import KnowledgeArticle

__all__ = ["NothingToAsk", "SeedReport", "seed_history"]


class NothingToAsk(Exception):
    """The knowledge base answers none of the topics the demo's customers ask about."""


def seed_history(*, conversations: int, days: int, seed: int, agents: int,
                 progress: Callable[[], object] = lambda: None,
                 out: TextIO | None = None) -> SeedReport:  # fmt: skip
    """Write ``conversations`` demo conversations over the ``days`` before the current hour,
    handled by ``agents`` demo agents; the same ``seed`` in the same hour writes the same
    history. ``progress`` is called once per conversation done; ``out`` gets the output of
    loading the demo knowledge base, which happens only when none is published."""
    started = time.perf_counter()
    if not KnowledgeArticle.objects.filter(published=True).exists():
        call_command("load_demo_kb", stdout=out)
    master = random.Random(seed)
    questions = pick_questions(master)
    if not questions:
        raise NothingToAsk(f"the knowledge base has no questions about {', '.join(TOPICS)}")
    zone = rollup_zone()
    cutoff = timezone.now().replace(minute=0, second=0, microsecond=0)
    languages = {code: weight for code, weight in LANGUAGES.items() if code in questions}
    plan = [
        (start, pick(master, languages))
        for start in first_messages(master, conversations, days, cutoff, zone)
    ]
    texts = texts_to_embed(questions, {language for _start, language in plan})
    vectors = dict(zip(texts, get_embedder().embed_queries(texts), strict=True))

    stats: Counter = Counter()
    team = Team.enlist(agents, zone)
    timeline = Timeline(cutoff, stats)
    actions = Actions(team=team, vectors=vectors, stats=stats)
    scenarios = Scenarios(seed=seed, team=team, questions=questions, actions=actions,
                          timeline=timeline, stats=stats)  # fmt: skip
    for index, (start, language) in enumerate(plan):
        timeline.add(start, scenarios.conversation(index, language))

    first_pk = Conversation.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    mode = {**settings.SUPPORTBOT, "ANSWER_MODE": "generate"}
    with override_settings(SUPPORTBOT=mode), broadcast.publishing_through(_unheard):
        try:
            timeline.run(progress)
        finally:
            Team.go_home()
    notify.queue_changed()  # open consoles: the queue has the demo's waiting chats now
    return SeedReport.count(stats, first_pk=first_pk, conversations=conversations, days=days,
                            seconds=time.perf_counter() - started)  # fmt: skip


def _unheard(group: str, message: dict) -> None:
    """Nobody is connected to last week's conversations: their frames go nowhere."""
