"""Hand-built conversation histories, written through the product's own services at chosen
moments (``time_machine``), for tests that know every figure in advance."""

from __future__ import annotations

import shutil
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import time_machine
from django.core.management import call_command

from inference_worker.sequence import FinishReason, StreamEvent
from supportbot.agents import services as agent_services
from supportbot.chat import csat, escalation, replies, services
from supportbot.chat.models import Conversation, Message
from supportbot.safety.screening import screen_input
from supportbot.serving.accounting import record_generation

ORIGIN = "http://127.0.0.1:8000"
# Matches the demo knowledge base, so the bot answers with the model (a job) rather than
# saying at once that it has no article.
QUESTION = "How long does shipping take?"


DEMO_KB = Path(__file__).resolve().parents[2] / "supportbot" / "knowledge" / "demo_kb"
ARTICLES = ("shipping-times", "shipping-costs", "change-email")


def load_some_articles(directory: Path, languages: tuple[str, ...] = ("en", "de")) -> None:
    """A few demo articles (the questions here are about shipping): embedding all 231 would
    cost minutes per test on two cores."""
    directory.mkdir(parents=True, exist_ok=True)
    for slug in ARTICLES:
        for language in languages:
            source = DEMO_KB / f"{slug}.{language}.md"
            if source.exists():
                shutil.copy(source, directory)
    call_command("load_demo_kb", articles=directory, verbosity=0)


class Clock:
    """Time stands still until ``at`` moves it (timestamps are exact to the microsecond)."""

    def __init__(self, start: datetime) -> None:
        self._traveller = time_machine.travel(start, tick=False)
        self._coordinates = None
        self.now = start

    def __enter__(self) -> Clock:
        self._coordinates = self._traveller.start()
        return self

    def __exit__(self, *exc) -> None:
        self._traveller.stop()

    def at(self, moment: datetime) -> Clock:
        self._coordinates.move_to(moment)
        self.now = moment
        return self

    def after(self, seconds: float) -> Clock:
        return self.at(self.now + timedelta(seconds=seconds))


class Chat:
    """One customer's conversation; each method is one thing that happens, now."""

    def __init__(self, clock: Clock, *, locale: str = "en", visitor: str = "") -> None:
        self.clock = clock
        self.conversation, self.token = services.create_conversation(
            locale=locale, visitor_id=visitor or uuid.uuid4().hex, origin=ORIGIN
        )
        self.public_id = str(self.conversation.public_id)
        self.last_customer_message: Message | None = None

    @property
    def pk(self) -> int:
        return self.conversation.pk

    def refresh(self) -> Conversation:
        return Conversation.objects.get(pk=self.pk)

    def customer(self, text: str = QUESTION, *, screened: bool = False):
        verdict = screen_input(text) if screened else None
        result = services.receive_customer_message(
            self.pk, client_id=uuid.uuid4(), text=text, verdict=verdict
        )
        self.last_customer_message = result.message
        return result

    def bot_reply(self, *, first_token_s: float, complete_s: float, finish: str = "stop",
                  prompt_tokens: int = 100, completion_tokens: int = 20,
                  engine_s: float = 0.0) -> Message | None:  # fmt: skip
        """The model's reply to the last customer message, with its timings from it, and
        the generation's accounting row (as a worker stores them)."""
        asked = self.last_customer_message.created_at.timestamp()
        outcome = replies.ReplyOutcome(
            text="Standard shipping takes 3-5 business days.",
            finish_reason=finish,
            token_count=completion_tokens,
            queued_at=asked,
            started_at=asked,
            first_token_at=asked + first_token_s,
            completed_at=asked + complete_s,
            prompt_tokens=prompt_tokens,
        )
        self.clock.at(self.last_customer_message.created_at + timedelta(seconds=complete_s))
        reply, _ = replies.store_bot_reply(self.last_customer_message.pk, outcome)
        self.generation("reply", prompt_tokens, completion_tokens, engine_s or complete_s,
                        finish=finish)  # fmt: skip
        return reply

    def generation(self, purpose: str, prompt_tokens: int, completion_tokens: int,
                   engine_s: float, *, finish: str = "stop") -> None:  # fmt: skip
        now = self.clock.now.timestamp()
        event = StreamEvent(
            uuid.uuid4().hex, "text", done=True,
            finish_reason=FinishReason(finish) if finish in ("stop", "length") else None,
            num_tokens=completion_tokens, submitted_at=now - engine_s,
            scheduled_at=now - engine_s, first_token_at=now, finished_at=now,
            prompt_tokens=prompt_tokens,
        )  # fmt: skip
        record_generation(event, purpose=purpose, variant="default", conversation_id=self.pk,
                          finish_reason=finish)  # fmt: skip

    def failed_reply(self) -> None:
        """The engine failed; the question stays open (asked again on resume)."""
        asked = self.last_customer_message.created_at.timestamp()
        outcome = replies.ReplyOutcome(
            text="", finish_reason="error", token_count=0, queued_at=asked,
            started_at=None, first_token_at=None, completed_at=None,
        )  # fmt: skip
        replies.store_bot_reply(self.last_customer_message.pk, outcome)

    def press_escalate(self):
        return escalation.escalate_for_customer(self.pk)

    def escalate(self, reason: str):
        return escalation.escalate(self.pk, reason=reason)

    def claim(self, agent) -> None:
        agent_services.claim(self.public_id, agent)

    def agent_says(self, agent, text: str = "Hello, I am looking into it.") -> None:
        agent_services.send(self.public_id, agent, client_id=uuid.uuid4(), text=text)

    def transfer(self, agent, to_agent) -> None:
        agent_services.transfer(self.public_id, agent, to_agent.get_username())

    def agent_resolves(self, agent) -> None:
        agent_services.resolve(self.public_id, agent)

    def hand_back(self, agent) -> None:
        agent_services.hand_back(self.public_id, agent)

    def customer_resolves(self) -> None:
        assert escalation.resolve_by_customer(self.pk)

    def rate(self, rating: int) -> None:
        csat.record_csat(self.pk, rating=rating)
