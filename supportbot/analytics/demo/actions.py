"""What the demo's people and model do, each through the service that does it in production:
a customer's message (``chat.services``), the model's reply (stored by ``chat.replies``,
accounted by ``serving.accounting``), an agent's message with its drafts and translations
(``agents.services``), and a rating (``chat.csat``).

Simulated rather than run: the model. A reply is the article it was given, with lognormal
timings and token counts, so the dashboard's latency and token charts have an engine's figures.
"""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from inference_worker.jobs import ReplyJob
from inference_worker.sequence import FinishReason, StreamEvent
from supportbot.agents import services as agent_services
from supportbot.analytics.demo.chance import lognormal
from supportbot.analytics.demo.team import AGENT_LANGUAGES, Team
from supportbot.analytics.demo.texts import CLOSE, PHRASES
from supportbot.analytics.demo.timeline import HOURLY, Steps
from supportbot.analytics.models import ConversationFact, Segment
from supportbot.chat import csat, frames, replies, services
from supportbot.chat.models import Conversation
from supportbot.detectors.message_signals import Signals
from supportbot.safety.verdict import Verdict
from supportbot.serving.accounting import record_generation
from supportbot.serving.models import GenerationRecord

WORKER = "demo-worker"
REPLY_TOKEN_LIMIT = 96
# Ratings 1..5 by who handled the conversation, and how often each kind answers the question.
RATINGS = {Segment.BOT_ONLY: (6, 7, 14, 35, 38), Segment.HUMAN: (3, 4, 8, 30, 55),
           Segment.ESCALATED_UNCLAIMED: (28, 22, 22, 16, 12)}  # fmt: skip
RATE_CHANCE = {Segment.BOT_ONLY: 0.55, Segment.HUMAN: 0.6, Segment.ESCALATED_UNCLAIMED: 0.35}


@dataclass(slots=True)
class Chat:
    """One simulated customer's conversation, with the customer's own random stream."""

    r: random.Random
    language: str
    pk: int
    public_id: str
    variant: str
    replies: int = 0
    no_source: bool = False  # the bot's last answer was "no article, want a person?"

    def phrase(self, which: int, **names: str) -> str:
        return PHRASES[self.language][which].format(**names)


class Actions:
    """The demo's moves that write rows. Counts what the summary reports in ``stats``."""

    def __init__(self, *, team: Team, vectors: dict[str, np.ndarray], stats: Counter) -> None:
        self.team, self.vectors, self.stats = team, vectors, stats

    def ask(self, chat: Chat, text: str, *, signals: Signals = services.NO_SIGNALS,
            verdict: Verdict | None = None, cannot_help: bool = False) -> Steps:  # fmt: skip
        """The customer writes; if the model is to answer, its reply comes when it is done."""
        self.team.heartbeat()  # the message may bring in a person
        result = self.customer_says(chat, text, signals=signals, verdict=verdict)
        chat.no_source = False
        if result is None or not result.created:
            return
        if result.reply is not None:
            chat.no_source = result.reply.finish_reason == frames.NO_SOURCE
            return
        if result.job is None:  # a person has it now
            return
        yield from self._bot_reply(chat, result.job, cannot_help=cannot_help)

    def customer_says(self, chat: Chat, text: str, *, signals: Signals = services.NO_SIGNALS,
                      verdict: Verdict | None = None,
                      ) -> services.CustomerMessageResult | None:  # fmt: skip
        """The message stored as the socket stores it; ``None`` when the conversation has
        closed meanwhile. Agents who don't read the language get it machine-translated."""
        try:
            result = services.receive_customer_message(
                chat.pk,
                client_id=uuid.UUID(int=chat.r.getrandbits(128), version=4),
                text=text,
                verdict=verdict,
                signals=signals,
                # As the socket does: the question embedded beforehand (here, in one batch).
                query=self.vectors.get(text) if verdict is None else None,
            )
        except services.ConversationClosed:
            return None
        if chat.language not in AGENT_LANGUAGES and state_of(chat) != Conversation.State.BOT:
            self._generation(chat, GenerationRecord.Purpose.TRANSLATION, 120, 60, 0.8)
        return result

    def agent_says(self, chat: Chat, agent: AbstractBaseUser, text: str) -> None:
        """An agent's message, sometimes started from the model's draft, translated for
        customers whose language the team does not read."""
        translated = chat.language not in AGENT_LANGUAGES
        if chat.r.random() < 0.4:  # started from the model's draft
            self._generation(chat, GenerationRecord.Purpose.DRAFT, 900, 70, 1.6)
        if translated:
            self._generation(chat, GenerationRecord.Purpose.TRANSLATION, 140, 70, 0.9)
        agent_services.send(
            chat.public_id,
            agent,
            client_id=uuid.UUID(int=chat.r.getrandbits(128), version=4),
            text=text,
            machine_translated=translated,
        )

    def rate(self, chat: Chat, segment: str) -> Steps:
        """Asked for a rating at the end, the customer sometimes gives one, a little later."""
        if chat.r.random() < RATE_CHANCE[segment]:
            yield lognormal(chat.r, 30, 0.8)
            self.record_rating(chat, segment)

    def record_rating(self, chat: Chat, segment: str) -> None:
        """A rating drawn for who handled the conversation, if the widget would take one."""
        rating = chat.r.choices(range(1, 6), weights=RATINGS[segment])[0]
        try:
            csat.record_csat(chat.pk, rating=rating)
        except (csat.CsatNotOpen, csat.CsatAlreadyGiven):
            return
        self.stats["csat"] += 1

    def _bot_reply(self, chat: Chat, job: ReplyJob, *, cannot_help: bool) -> Steps:
        """The engine's answer to ``job``: lognormal time to first token (slower at the busy
        hours), tokens at a steady pace, as a worker stores and accounts it."""
        r = chat.r
        hour = timezone.now().astimezone(self.team.zone).hour
        queued = job.queued_at
        scheduled = queued + lognormal(r, 0.03, 0.8)
        first = scheduled + lognormal(r, 0.3, 0.45) * (1 + 0.1 * HOURLY[hour])
        tokens = min(REPLY_TOKEN_LIMIT, max(8, round(lognormal(r, 55, 0.45))))
        finished = first + tokens * lognormal(r, 0.022, 0.25)
        finish = FinishReason.LENGTH if tokens == REPLY_TOKEN_LIMIT else FinishReason.STOP
        prompt_tokens = 650 + 70 * chat.replies + r.randint(0, 350)
        yield finished - queued
        knowledge = job.prompt.knowledge.strip()
        text = knowledge.split("\n")[0][:400] if knowledge else chat.phrase(CLOSE)
        self.team.heartbeat()  # a hand-over reply brings in a person
        outcome = replies.ReplyOutcome(
            text=text, finish_reason=str(finish), token_count=tokens, queued_at=queued,
            started_at=scheduled, first_token_at=first, completed_at=finished,
            engine_submitted_at=queued + 0.002, worker=WORKER, prompt_tokens=prompt_tokens,
        )  # fmt: skip
        _reply, created = replies.store_bot_reply(
            job.reply_to_id, outcome, cannot_help=cannot_help, sources=job.sources
        )
        if not created:
            return
        chat.replies += 1
        event = StreamEvent(
            job.request_id, text, done=True, finish_reason=finish, num_tokens=tokens,
            submitted_at=queued + 0.002, scheduled_at=scheduled, first_token_at=first,
            finished_at=finished, prompt_tokens=prompt_tokens,
        )  # fmt: skip
        record_generation(
            event,
            purpose=GenerationRecord.Purpose.REPLY,
            variant=job.variant,
            worker=WORKER,
            conversation_id=chat.pk,
            reply_to_id=job.reply_to_id,
        )

    def _generation(self, chat: Chat, purpose: str, prompt: int, completion: int,
                    seconds: float) -> None:  # fmt: skip
        """A draft or translation for an agent, accounted as ``serving.agent_text`` does."""
        r = chat.r
        tokens = max(4, round(lognormal(r, completion, 0.4)))
        took = lognormal(r, seconds, 0.4)
        now = time.time()
        event = StreamEvent(
            uuid.UUID(int=r.getrandbits(128), version=4).hex, "", done=True,
            finish_reason=FinishReason.STOP, num_tokens=tokens, submitted_at=now - took,
            scheduled_at=now - took, first_token_at=now - took * 0.8, finished_at=now,
            prompt_tokens=prompt + r.randint(0, prompt // 2),
        )  # fmt: skip
        record_generation(event, purpose=purpose, variant=chat.variant, worker=WORKER,
                          conversation_id=chat.pk)  # fmt: skip


def state_of(chat: Chat) -> str:
    """The conversation's state now, as the services left it."""
    return Conversation.objects.values_list("state", flat=True).get(pk=chat.pk)


def segment_of(chat: Chat) -> str:
    """Who handled the conversation, as its analytics fact says."""
    return ConversationFact.objects.values_list("segment", flat=True).get(pk=chat.pk)
