"""What one demo conversation does: a few questions for the bot, then the path it set out on
(the bot alone, or a hand-over asked for, pressed, detected or forced by the input screen),
then a person or the bot to the end, a rating sometimes, or an idle close.

The escalation detectors are simulated: the texts are their own positive examples and the
signals are set as they would read them. The flagged messages are screened for real.
"""

from __future__ import annotations

import math
import random
from collections import Counter

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from supportbot.agents import services as agent_services
from supportbot.analytics.demo.actions import Actions, Chat, segment_of, state_of
from supportbot.analytics.demo.chance import lognormal, pick, think
from supportbot.analytics.demo.team import Team
from supportbot.analytics.demo.texts import (
    ANSWER,
    CLOSE,
    FLAGGED,
    HELLO,
    LOCALES,
    OFF_TOPIC,
    THANKS,
    detector_texts,
    screened,
)
from supportbot.analytics.demo.timeline import Steps, Timeline
from supportbot.analytics.models import Segment
from supportbot.chat import escalation, services
from supportbot.chat.models import Conversation
from supportbot.detectors import human_request, sentiment
from supportbot.detectors.message_signals import Signals

ORIGIN = "https://shop.example"
# What a conversation sets out to become; the bot's "no article" answers add a few hand-overs.
PATHS = {"bot": 81, "customer_request": 5, "customer_button": 4, "bot_cannot_help": 3,
         "negative_sentiment": 3, "safety": 1, "blocked": 2, "redacted": 1}  # fmt: skip
# Questions for the bot before the path takes its turn (fewest, most), besides "bot" (1-3).
ASKED = {"customer_request": (0, 1), "customer_button": (1, 2), "bot_cannot_help": (0, 0),
         "negative_sentiment": (1, 2), "safety": (0, 1), "blocked": (0, 0),
         "redacted": (0, 0)}  # fmt: skip
RATE_AFTER_IDLE_CHANCE = 0.2  # the widget asks when the customer comes back


class Scenarios:
    """Writes each conversation as a generator of steps for the ``Timeline``."""

    def __init__(self, *, seed: int, team: Team, questions: dict[str, list[str]],
                 actions: Actions, timeline: Timeline, stats: Counter) -> None:  # fmt: skip
        self.seed, self.team, self.questions = seed, team, questions
        self.act, self.timeline, self.stats = actions, timeline, stats

    def conversation(self, index: int, language: str) -> Steps:
        """Conversation ``index`` of the demo, in ``language``, from its first message (the
        clock at its start) to its end; it draws only from its own random stream."""
        r = random.Random(f"{self.seed}:{index}")
        conversation, _token = services.create_conversation(
            locale=LOCALES[language], visitor_id=f"demo-{self.seed}-{index}", origin=ORIGIN
        )
        variant = conversation.variant.name if conversation.variant else ""
        chat = Chat(r, language, conversation.pk, str(conversation.public_id), variant)
        path = pick(r, PATHS)
        asked_first = pick(r, {1: 55, 2: 30, 3: 15}) if path == "bot" else r.randint(*ASKED[path])
        yield r.uniform(4, 40)  # typing the first question
        for turn in range(asked_first):
            if turn:
                yield think(r)
            yield from self.act.ask(chat, r.choice(self.questions[language]))
            if chat.no_source and r.random() < 0.6:
                path = "customer_button"  # accepting the offer: bot_cannot_help
                break
        if asked_first:
            yield think(r)
        yield from self._turn_to(chat, path)
        state = state_of(chat)
        if state == Conversation.State.WAITING_AGENT:
            yield from self._handed_over(chat)
        elif state == Conversation.State.BOT:
            yield from self._ending_with_bot(chat)

    def _turn_to(self, chat: Chat, path: str) -> Steps:
        r = chat.r
        if path == "customer_request":
            texts = detector_texts(human_request.EXAMPLES_PATH)
            text = r.choice(texts.get(chat.language) or texts["en"])
            yield from self.act.ask(chat, text, signals=Signals(wants_human=True))
        elif path == "negative_sentiment":
            texts = detector_texts(sentiment.EXAMPLES_PATH)
            text = r.choice(texts.get(chat.language) or texts["en"])
            yield from self.act.ask(chat, text, signals=Signals(strongly_negative=True))
        elif path == "customer_button":
            self.team.heartbeat()
            escalation.escalate_for_customer(chat.pk)
        elif path == "bot_cannot_help":
            # No article: the bot says so and the customer takes the offer; or the model's
            # answer hands over itself (the reply's hand-over detector).
            yield from self.act.ask(chat, chat.phrase(OFF_TOPIC), cannot_help=True)
            if chat.no_source:
                yield think(r)
                self.team.heartbeat()
                escalation.escalate_for_customer(chat.pk)
        elif path in FLAGGED:
            text = r.choice(FLAGGED[path])
            yield from self.act.ask(chat, text, verdict=screened(text))
            if path != "safety" and state_of(chat) == Conversation.State.BOT:
                yield think(r)
                yield from self.act.ask(chat, r.choice(self.questions[chat.language]))

    def _ending_with_bot(self, chat: Chat) -> Steps:
        r = chat.r
        if r.random() < 0.45:
            yield think(r)
            if escalation.resolve_by_customer(chat.pk):
                self.stats["customer_resolved"] += 1
                yield from self.act.rate(chat, Segment.BOT_ONLY)
            return
        # Gone without a word: the idle-close job resolves it.
        sweep = self.timeline.sweep_after(timezone.now())
        yield (sweep - timezone.now()).total_seconds() + 1
        if state_of(chat) == Conversation.State.RESOLVED and r.random() < RATE_AFTER_IDLE_CHANCE:
            yield lognormal(r, 3 * 3600, 0.8)
            self.act.record_rating(chat, segment_of(chat))

    def _handed_over(self, chat: Chat) -> Steps:
        r = chat.r
        now = timezone.now()
        online = self.team.on_shift(now)
        if online:
            wait = lognormal(r, 75, 1.0)
            patience = lognormal(r, 480, 0.9)
        else:
            wait = (self.team.next_shift(now) - now).total_seconds() + lognormal(r, 1200, 0.8)
            patience = lognormal(r, 300, 0.9) if r.random() < 0.6 else math.inf
        if patience < wait:
            yield patience
            if escalation.resolve_by_customer(chat.pk):
                self.stats["left_waiting"] += 1
                yield from self.act.rate(chat, Segment.ESCALATED_UNCLAIMED)
            return
        yield wait
        agent = self.team.pick(r)
        if not online and r.random() < 0.3:
            # Answered by email from the contact on the ticket, closed without a chat.
            agent_services.resolve(chat.public_id, agent)
            self.stats["closed_unclaimed"] += 1
            return
        agent_services.claim(chat.public_id, agent)
        self.stats["claimed"] += 1
        yield lognormal(r, 25, 0.6)
        self.act.agent_says(chat, agent, chat.phrase(HELLO, name=agent.first_name))
        for exchange in range(r.choice((1, 1, 2, 2, 3)) if online else 0):
            yield lognormal(r, 60, 0.7)
            text = r.choice([chat.phrase(THANKS), *self.questions[chat.language]])
            self.act.customer_says(chat, text)
            yield lognormal(r, 45, 0.7)
            if exchange == 0 and len(self.team.members) > 1 and r.random() < 0.12:
                agent = self._transfer(chat, agent)
                yield lognormal(r, 40, 0.6)
            self.act.agent_says(chat, agent, chat.phrase(ANSWER))
        yield lognormal(r, 90, 0.8)
        if r.random() < 0.85 or not online:
            self.act.agent_says(chat, agent, chat.phrase(CLOSE))
            yield lognormal(r, 60, 0.8)
            agent_services.resolve(chat.public_id, agent)
            self.stats["agent_resolved"] += 1
            yield from self.act.rate(chat, Segment.HUMAN)
            return
        agent_services.hand_back(chat.public_id, agent)
        self.stats["handed_back"] += 1
        if r.random() < 0.5:
            yield think(r)
            yield from self.act.ask(chat, r.choice(self.questions[chat.language]))
        yield from self._ending_with_bot(chat)

    def _transfer(self, chat: Chat, agent: AbstractBaseUser) -> AbstractBaseUser:
        """The agent passes the chat to a colleague, who carries on."""
        colleague = chat.r.choice([a for a in self.team.members if a.pk != agent.pk])
        agent_services.transfer(chat.public_id, agent, colleague.get_username())
        self.stats["transfers"] += 1
        return colleague
