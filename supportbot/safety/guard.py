"""The output guard's check for one reply, built from what the reply may draw on."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from inference_worker.jobs import ReplyJob
from inference_worker.output_guard import Checker, GuardDecision
from inference_worker.prompting import system_message
from inference_worker.sequence import StreamEvent
from supportbot.safety.output import URL, OutputContext
from supportbot.safety.verdict import Action, Category, Verdict


def output_context(job: ReplyJob) -> OutputContext:
    """Links may go to our own hosts, the sites embedding the widget and the hosts the
    knowledge links to; the conversation and the knowledge shown are what the reply may
    repeat; the instructions are not."""
    hosts = {h.lstrip(".").lower() for h in settings.ALLOWED_HOSTS if h not in ("*", "")}
    hosts |= {
        (urlsplit(origin).hostname or "").lower()
        for origin in settings.SUPPORTBOT["WIDGET_ORIGINS"]
    }
    spec = job.prompt
    # Hosts the knowledge base itself links to (a help centre) are ours too.
    hosts |= {
        (urlsplit(u if "://" in u else f"http://{u}").hostname or "").lower().rstrip(".")
        for u in URL.findall(spec.knowledge)
    }
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
        names = tuple(str(c) for c in verdict.categories)
        return GuardDecision(False, reason=",".join(names), categories=names)

    return check


def blocked_verdict(event: StreamEvent, decision: GuardDecision) -> Verdict:
    """The log entry for a stopped reply: its categories and the text, personal data hidden."""
    from supportbot.safety.pii import find_pii, redact

    categories = tuple(Category(c) for c in decision.categories)
    return Verdict(
        Action.BLOCK, categories=categories, redacted=redact(event.text, find_pii(event.text))
    )
