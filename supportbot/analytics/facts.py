"""Deriving the fact rows of one conversation from its source rows (docs/metrics.md).

``rebuild`` is the one definition: the receivers call it inside every change's transaction,
``manage.py rebuild_facts`` calls it for history. It reads one conversation's events,
messages, rating, generations and safety decisions, which are few.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils.dateparse import parse_datetime

from supportbot.analytics import rollups
from supportbot.analytics.models import ConversationFact, EscalationFact, ReplyFact, Segment
from supportbot.chat.models import Actor, Conversation, ConversationEvent, CsatResponse, Message
from supportbot.safety.models import SafetyEvent
from supportbot.safety.verdict import Action
from supportbot.serving.models import GenerationRecord

State = Conversation.State
Kind = ConversationEvent.Kind
NORMAL_FINISHES = ("stop", "length")
HISTORY_EVENTS = (Kind.STATE_CHANGED, Kind.FIRST_RESPONSE, Kind.TRANSFERRED, Kind.CSAT_REQUESTED)
REPLY_FIELDS = ("message_id", "started_at", "language", "variant", "arm", "finish_reason",
                "normal", "first_token_ms", "complete_ms")  # fmt: skip
CYCLE_FIELDS = ("cycle", "started_at", "language", "variant", "arm", "escalated_at", "reason",
                "agents_online", "claimed_at", "wait_s", "first_response_s", "agent_s",
                "agent_id", "transfers", "outcome")  # fmt: skip
SAFETY_DIRECTIONS = (SafetyEvent.Direction.INPUT, SafetyEvent.Direction.OUTPUT)


def rollup_zone() -> ZoneInfo:
    return ZoneInfo(settings.SUPPORTBOT["DASHBOARD_TZ"])


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds())


@dataclass(slots=True)
class Cycle:
    number: int
    escalated_at: datetime
    reason: str
    agents_online: bool | None
    claimed_at: datetime | None = None
    first_response_at: datetime | None = None
    agent_since: datetime | None = None  # in the agent state since then
    agent_s: float = 0.0
    agent_id: int | None = None
    transfers: int = 0
    outcome: str = "open"

    def leave_agent_state(self, at: datetime) -> None:
        if self.agent_since is not None:
            self.agent_s += _seconds(self.agent_since, at) or 0.0
            self.agent_since = None


@dataclass(slots=True)
class History:
    """What the event log says about a conversation's hand-overs and its end."""

    cycles: list[Cycle] = field(default_factory=list)
    escalated_before_bot_reply: bool = False
    resolved_at: datetime | None = None
    resolve_reason: str = ""
    ended_at: datetime | None = None
    csat_requested: bool = False


def _end_cycle(cycle: Cycle, event: ConversationEvent) -> None:
    cycle.leave_agent_state(event.created_at)
    if event.to_state == State.BOT:
        cycle.outcome = "handed_back" if event.from_state == State.AGENT else "returned_to_bot"
    elif event.from_state == State.AGENT:
        cycle.outcome = "agent_resolved" if event.actor == Actor.AGENT else event.reason
    elif event.actor == Actor.CUSTOMER:
        cycle.outcome = "customer_left"
    elif event.actor == Actor.AGENT:
        cycle.outcome = "closed_unclaimed"
    else:
        cycle.outcome = event.reason or "closed"
    if event.actor == Actor.AGENT and event.user_id:
        cycle.agent_id = event.user_id


def read_history(events: list[ConversationEvent], replied_at: list[datetime]) -> History:
    """``events`` in log order; ``replied_at``: when each bot reply was stored (the fixed
    safety messages are not replies)."""
    history = History()
    current: Cycle | None = None
    for event in events:
        if event.kind == Kind.CSAT_REQUESTED:
            history.csat_requested = True
        elif event.kind == Kind.FIRST_RESPONSE and current is not None:
            current.first_response_at = current.first_response_at or event.created_at
        elif event.kind == Kind.TRANSFERRED and current is not None:
            current.transfers += 1
        elif event.kind != Kind.STATE_CHANGED:
            continue
        elif event.to_state == State.WAITING_AGENT and event.from_state == State.BOT:
            if not history.cycles:
                history.escalated_before_bot_reply = not any(
                    at <= event.created_at for at in replied_at
                )
            current = Cycle(
                number=len(history.cycles) + 1,
                escalated_at=event.created_at,
                reason=event.reason,
                agents_online=event.data.get("agents_online"),
            )
            history.cycles.append(current)
        elif event.to_state == State.AGENT and current is not None:
            current.claimed_at = current.claimed_at or event.created_at
            current.agent_since = event.created_at
            current.agent_id = event.user_id
        elif event.to_state == State.WAITING_AGENT and current is not None:
            current.leave_agent_state(event.created_at)  # released back to the queue
        elif event.to_state in (State.BOT, State.RESOLVED):
            if current is not None:
                _end_cycle(current, event)
                current = None
            if event.to_state == State.RESOLVED:
                history.resolved_at = event.created_at
                history.resolve_reason = event.reason
                last_message = parse_datetime(event.data.get("last_message_at") or "")
                history.ended_at = last_message or event.created_at
    return history


def _segment(history: History) -> str:
    if not history.cycles:
        return Segment.BOT_ONLY
    if any(c.claimed_at for c in history.cycles):
        return Segment.HUMAN
    return Segment.ESCALATED_UNCLAIMED


def _token_columns(conversation_id: int) -> dict:
    columns: dict = {"engine_seconds": 0.0}
    rows = (
        GenerationRecord.objects.filter(conversation_id=conversation_id)
        .values("purpose")
        .annotate(p=Sum("prompt_tokens"), c=Sum("completion_tokens"), s=Sum("engine_seconds"))
    )
    for row in rows:
        columns[f"{row['purpose']}_prompt_tokens"] = row["p"] or 0
        columns[f"{row['purpose']}_completion_tokens"] = row["c"] or 0
        columns["engine_seconds"] += row["s"] or 0.0
    return columns


def _fact_columns(conversation: Conversation, history: History, *, bot_replies: int) -> dict:
    cid = conversation.pk
    customer_messages = Message.objects.filter(conversation_id=cid, role=Actor.CUSTOMER).count()
    safety = SafetyEvent.objects.filter(
        conversation_id=cid, direction__in=SAFETY_DIRECTIONS
    ).aggregate(
        blocks=Count("pk", filter=Q(action=Action.BLOCK)),
        escalations=Count("pk", filter=Q(action=Action.ESCALATE)),
    )
    csat = CsatResponse.objects.filter(conversation_id=cid).values("rating", "created_at").first()
    started = conversation.started_at
    cycles = history.cycles
    claimed = any(c.claimed_at for c in cycles)
    resolved = history.resolved_at is not None
    last_agent = next((c.agent_id for c in reversed(cycles) if c.agent_id), None)
    return {
        "public_id": conversation.public_id,
        "started_at": started,
        "day": started.astimezone(rollup_zone()).date() if started else None,
        "language": conversation.language,
        "variant": conversation.variant.name if conversation.variant_id else "",
        "arm": str(conversation.arm) if conversation.arm_id else "",
        "state": conversation.state,
        "segment": _segment(history),
        "customer_messages": customer_messages,
        "bot_replies": bot_replies,
        "escalations": len(cycles),
        "escalation_reason": cycles[0].reason if cycles else "",
        "escalated_before_bot_reply": history.escalated_before_bot_reply,
        "resolved_at": history.resolved_at,
        "resolve_reason": history.resolve_reason,
        "ended_at": history.ended_at,
        "handling_s": _seconds(started, history.ended_at) if resolved else None,
        "agent_handling_s": sum(c.agent_s for c in cycles) if resolved and claimed else None,
        "agent_id": last_agent,
        "csat_requested": history.csat_requested,
        "csat_rating": csat["rating"] if csat else None,
        "csat_at": csat["created_at"] if csat else None,
        "safety_blocks": safety["blocks"],
        "safety_escalations": safety["escalations"],
        "reply_prompt_tokens": 0,
        "reply_completion_tokens": 0,
        "draft_prompt_tokens": 0,
        "draft_completion_tokens": 0,
        "translation_prompt_tokens": 0,
        "translation_completion_tokens": 0,
        **_token_columns(cid),
    }


def _bot_messages(conversation_id: int) -> list[dict]:
    return list(
        Message.objects.filter(conversation_id=conversation_id, role=Actor.BOT)
        .order_by("seq")
        .values(
            "pk",
            "finish_reason",
            "created_at",
            "first_token_at",
            "completed_at",
            "reply_to_id",
            "reply_to__created_at",
        )
    )


def _reply_rows(fact: ConversationFact, bot_messages: list[dict]) -> list[ReplyFact]:
    rows = []
    for reply in bot_messages:
        if reply["reply_to_id"] is None:
            continue
        asked = reply["reply_to__created_at"]
        first = _seconds(asked, reply["first_token_at"])
        complete = _seconds(asked, reply["completed_at"])
        rows.append(
            ReplyFact(
                message_id=reply["pk"],
                conversation=fact,
                started_at=fact.started_at,
                language=fact.language,
                variant=fact.variant,
                arm=fact.arm,
                finish_reason=reply["finish_reason"],
                normal=reply["finish_reason"] in NORMAL_FINISHES,
                first_token_ms=None if first is None else first * 1000,
                complete_ms=None if complete is None else complete * 1000,
            )
        )
    return rows


def _replace_rows(model, fact: ConversationFact, rows: list, fields: tuple[str, ...]) -> None:
    """Write ``rows`` as the conversation's rows of ``model``, unless they are there already
    (most changes leave them as they were)."""
    existing = model.objects.filter(conversation=fact).order_by("pk")
    wanted = [tuple(getattr(row, f) for f in fields) for row in rows]
    if list(existing.values_list(*fields)) == wanted:
        return
    existing.delete()
    model.objects.bulk_create(rows)


def _cycle_rows(fact: ConversationFact, cycles: list[Cycle]) -> list[EscalationFact]:
    return [
        EscalationFact(
            conversation=fact,
            cycle=c.number,
            started_at=fact.started_at,
            language=fact.language,
            variant=fact.variant,
            arm=fact.arm,
            escalated_at=c.escalated_at,
            reason=c.reason,
            agents_online=c.agents_online,
            claimed_at=c.claimed_at,
            wait_s=_seconds(c.escalated_at, c.claimed_at),
            first_response_s=_seconds(c.escalated_at, c.first_response_at),
            agent_s=c.agent_s,
            agent_id=c.agent_id,
            transfers=c.transfers,
            outcome=c.outcome,
        )
        for c in cycles
    ]


def rebuild(conversation_id: int) -> ConversationFact | None:
    """Bring the conversation's fact rows and its share of the rollups up to date with its
    source rows. Locks the conversation row, so concurrent changes rebuild one at a time."""
    with transaction.atomic():
        conversation = (
            Conversation.objects.select_for_update(of=("self",))
            .select_related("variant", "arm__experiment")
            .filter(pk=conversation_id)
            .first()
        )
        if conversation is None:
            return None
        events = list(
            conversation.events.filter(kind__in=HISTORY_EVENTS).order_by("created_at", "id")
        )
        bot_messages = _bot_messages(conversation_id)
        replied_at = [m["created_at"] for m in bot_messages if m["finish_reason"] != "safety"]
        history = read_history(events, replied_at)
        columns = _fact_columns(conversation, history, bot_replies=len(bot_messages))
        before = ConversationFact.objects.filter(pk=conversation_id).first()
        if before is not None and all(getattr(before, k) == v for k, v in columns.items()):
            fact = before
        else:
            fact = ConversationFact(conversation_id=conversation_id, **columns)
            fact.save(force_insert=before is None)
            rollups.apply_change(before, fact)
        _replace_rows(ReplyFact, fact, _reply_rows(fact, bot_messages), REPLY_FIELDS)
        _replace_rows(EscalationFact, fact, _cycle_rows(fact, history.cycles), CYCLE_FIELDS)
    return fact
