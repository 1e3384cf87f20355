"""An experiment with known truths, written through the product's own services
(``manage.py simulate_experiment``): for demos of the results page, and for tests that
know the answer.

The experiment is created and started as ``manage.py experiment start`` does; each
simulated visitor opens conversations through ``chat.services`` (so ``assignment.place``
puts them in their arm), says something, gets the bot's reply (its timing drawn, the model
not run), is handed to people or not, resolves, and rates or not, each at its moment
(``time_machine``). The outcomes come from ``experiments.simulation``, the code the
calibration tests use; a visitor whose stored arm disagrees with the simulation's placement
is an error, since both claim to be the same arithmetic.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import time_machine
from django.db import transaction
from django.utils import timezone

from supportbot.chat import csat, escalation, replies, services
from supportbot.chat.language import LanguageGuess
from supportbot.chat.models import Conversation
from supportbot.chat.models import Reason as EscalationReason
from supportbot.embeddings.service import get_embedder
from supportbot.experiments.models import Arm, Experiment, ModelVariant
from supportbot.experiments.simulation import Simulated, Truth, simulate

QUESTION = "How long does shipping take?"
ANSWER = "Standard shipping takes 3-5 business days."
ORIGIN = "simulation"
RETURN_GAP = timedelta(hours=20)  # between a visitor's conversations
RATING_DELAY = timedelta(seconds=30)


class SimulationError(RuntimeError):
    pass


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    variants: Sequence[str]  # the control's first
    weights: Sequence[int]
    truths: Sequence[Truth]
    visitors: int
    days: int
    seed: int
    primary_metric: str = "escalation_rate"
    planned_visitors: int | None = None
    sequential: bool = False
    keep_running: bool = False


def create_experiment(plan: Plan) -> Experiment:
    """The experiment and its arms (``a`` the control, then ``b``, ``c``...), started."""
    if Experiment.objects.filter(name=plan.name).exists():
        raise SimulationError(f"an experiment named {plan.name!r} exists; pick another --name")
    variants = {v.name: v for v in ModelVariant.objects.filter(name__in=plan.variants)}
    missing = [name for name in plan.variants if name not in variants]
    if missing:
        raise SimulationError(f"no model variant {', '.join(missing)}")
    with transaction.atomic():
        experiment = Experiment.objects.create(
            name=plan.name,
            primary_metric=plan.primary_metric,
            planned_visitors=plan.planned_visitors or plan.visitors,
            sequential=plan.sequential,
        )
        for index, (variant, weight) in enumerate(zip(plan.variants, plan.weights, strict=True)):
            Arm.objects.create(
                experiment=experiment, name=chr(ord("a") + index), variant=variants[variant],
                weight=weight, is_control=index == 0,
            )  # fmt: skip
        experiment.start()
    return experiment


def run(plan: Plan, *, progress: Callable[[int], object] = lambda n: None) -> Experiment:
    """Create the experiment, play every visitor through the services, and stop it unless
    ``plan.keep_running``. Returns the experiment."""
    experiment = create_experiment(plan)
    arms = list(experiment.arms.all())
    simulated = simulate(
        arms, plan.truths, visitors=plan.visitors, salt=experiment.salt, days=plan.days,
        seed=plan.seed,
    )  # fmt: skip
    query = get_embedder().embed_queries([QUESTION])[0]
    start = timezone.now() - timedelta(days=plan.days)
    Experiment.objects.filter(pk=experiment.pk).update(started_at=start)
    order = sorted(range(plan.visitors), key=lambda v: (simulated.day[v], v))
    traveller = time_machine.travel(start, tick=False)
    clock = traveller.start()
    try:
        for done, visitor in enumerate(order, 1):
            arrival = start + timedelta(days=int(simulated.day[visitor]), hours=9 + visitor % 8)
            for turn, row in enumerate(simulated.conversations_of(visitor)):
                at = arrival + turn * RETURN_GAP
                arm = play_conversation(clock, at, simulated, visitor, row, query)
                if arm != arms[simulated.arm[visitor]].pk:
                    raise SimulationError(
                        f"visitor {simulated.visitor_ids[visitor]} landed in arm {arm}, the "
                        "simulation placed them elsewhere: assignment is not one arithmetic"
                    )
            progress(done)
    finally:
        traveller.stop()
    if not plan.keep_running:
        experiment.stop()
    return experiment


def play_conversation(
    clock: time_machine.Traveller, at: datetime, simulated: Simulated, visitor: int,
    row: int, query,
) -> int | None:  # fmt: skip
    """One conversation of ``visitor`` with the outcomes of row ``row``; returns its arm."""
    clock.move_to(at)
    conversation, _token = services.create_conversation(
        locale="en", visitor_id=simulated.visitor_ids[visitor], origin=ORIGIN
    )
    result = services.receive_customer_message(
        conversation.pk, client_id=uuid.uuid4(), text=QUESTION,
        language=LanguageGuess("en", 1.0, "locale"), query=query,
    )  # fmt: skip
    handling = timedelta(seconds=float(simulated.handling_s[row]))
    reply_s = min(float(simulated.reply_s[row]), handling.total_seconds() / 2)
    if result.job is not None:
        asked = at.timestamp()
        clock.move_to(at + timedelta(seconds=reply_s))
        replies.store_bot_reply(result.message.pk, replies.ReplyOutcome(
            text=ANSWER, finish_reason="stop", token_count=12, queued_at=asked,
            started_at=asked, first_token_at=asked + reply_s / 4, completed_at=asked + reply_s,
        ))  # fmt: skip
    if simulated.escalated[row]:
        clock.move_to(at + timedelta(seconds=reply_s * 1.5))
        escalation.escalate(conversation.pk, reason=EscalationReason.CUSTOMER_REQUEST)
    clock.move_to(at + handling)
    escalation.resolve_by_customer(conversation.pk)
    resolved = Conversation.objects.get(pk=conversation.pk)
    csat.note_csat_requested(resolved)
    if simulated.rating[row]:
        clock.move_to(at + handling + RATING_DELAY)
        csat.record_csat(conversation.pk, rating=int(simulated.rating[row]))
    return conversation.arm_id
