"""The output guard's check for one reply, built from what the reply may draw on, and for
the drafts and translations the engine writes for agents."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from django.conf import settings

from inference_worker.jobs import ReplyJob
from inference_worker.output_guard import Checker, GuardDecision
from inference_worker.prompting import system_message
from inference_worker.sequence import StreamEvent
from supportbot.safety.output import URL, OutputContext
from supportbot.safety.verdict import Action, Category, Verdict


def _own_hosts() -> set[str]:
    """This deployment's hosts and the sites embedding the widget."""
    hosts = {h.lstrip(".").lower() for h in settings.ALLOWED_HOSTS if h not in ("*", "")}
    hosts |= {
        (urlsplit(origin).hostname or "").lower()
        for origin in settings.SUPPORTBOT["WIDGET_ORIGINS"]
    }
    return hosts


def _linked_hosts(text: str) -> set[str]:
    return {
        (urlsplit(u if "://" in u else f"http://{u}").hostname or "").lower().rstrip(".")
        for u in URL.findall(text)
    }


def output_context(job: ReplyJob) -> OutputContext:
    """Links may go to our own hosts, the sites embedding the widget and the hosts the
    knowledge links to; the conversation and the knowledge shown are what the reply may
    repeat; the instructions are not."""
    hosts = _own_hosts()
    spec = job.prompt
    # Hosts the knowledge base itself links to (a help centre) are ours too.
    hosts |= _linked_hosts(spec.knowledge)
    # What was said may be said again: the customer's words and the bot's earlier replies
    # (which passed this guard).
    given = [turn.text for turn in spec.history]
    instructions = system_message(spec).split("\n\nKnowledge:")[0]
    return OutputContext(
        allowed_hosts=frozenset(h for h in hosts if h),
        given_text="\n".join([*given, spec.knowledge]),
        protected=(instructions,),
    )


def output_checker(job: ReplyJob) -> Checker | None:
    """None when the deployment turned the guard off (``SUPPORTBOT_OUTPUT_GUARD=0``)."""
    if not settings.SUPPORTBOT["OUTPUT_GUARD"]:
        return None
    from supportbot.safety.screening import check_outputs

    context = output_context(job)

    def check(text: str) -> GuardDecision:
        verdict = check_outputs([text], context)[0]
        if verdict.is_allow:
            return GuardDecision(True)
        # The category behind the stop comes first: it picks the reply (care or handover).
        lead = [verdict.primary] if verdict.primary else []
        names = tuple(str(c) for c in lead + [c for c in verdict.categories if c not in lead])
        return GuardDecision(False, reason=",".join(names), categories=names)

    return check


def blocked_verdict(event: StreamEvent, decision: GuardDecision) -> Verdict:
    """The log entry for a stopped reply: its categories and the text, personal data hidden."""
    categories = tuple(Category(c) for c in decision.categories)
    return Verdict(
        Action.BLOCK,
        categories=categories,
        redacted=_all_pii_hidden(event.text),
        primary=categories[0] if categories else None,
    )


def _all_pii_hidden(text: str) -> str:
    from supportbot.safety.pii import find_pii, redact

    return redact(text, find_pii(text))


def translation_context(source: str) -> OutputContext:
    """A translation may repeat what its source says, links included, and nothing more:
    personal data reach the engine as placeholders, so any it writes is someone else's."""
    hosts = _own_hosts() | _linked_hosts(source)
    return OutputContext(allowed_hosts=frozenset(h for h in hosts if h), given_text=source)


def check_agent_text(
    text: str,
    context: OutputContext,
    *,
    conversation_id: int,
    direction: str,
    language: str = "",
    source: str | None = None,
) -> Verdict:
    """The output guard on model text written for the support team (a draft, a machine
    translation of ``source``) before anyone sees it; a block is logged as a
    ``SafetyEvent`` of ``direction`` (``draft`` or ``translation``). Allows everything when
    the deployment turned the guard off. Blocking work (the classifier): call from a thread."""
    if not settings.SUPPORTBOT["OUTPUT_GUARD"]:
        return Verdict(Action.ALLOW, redacted=text)
    from supportbot.safety.models import SafetyEvent
    from supportbot.safety.screening import check_outputs

    verdicts = check_outputs([text] if source is None else [text, source], context)
    verdict = verdicts[0]
    if source is not None and not verdict.is_allow:
        # A translation may say what its source says: a customer's threat or distress must
        # still reach the agent in their language. Only what it adds stops it.
        said = set(verdicts[1].categories)
        added = tuple(c for c in verdict.categories if c not in said)
        verdict = replace(verdict, action=Action.BLOCK if added else Action.ALLOW, categories=added)
    if not verdict.is_allow:
        # Logged like a stopped reply: the categories and the text, personal data hidden.
        logged = replace(verdict, redacted=_all_pii_hidden(text))
        SafetyEvent.record(
            logged, conversation_id=conversation_id, direction=direction, language=language
        )
    return verdict
