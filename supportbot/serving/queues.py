"""Task names and the queue of each model variant: what the web and the workers agree on."""

from __future__ import annotations

from typing import Any

REPLY_TASK = "supportbot.generate_reply"
# Drafts and translations for agents, written by the same workers.
AGENT_TEXT_TASK = "supportbot.agent_text"
QUEUE_PREFIX = "variant."
# Translations for agents wait on a queue of their own, served by the variant's workers
# (``-Q variant.<name>,translate.<name>``): a burst of them is visible and bounded apart
# from the customers' replies, and counts against the same ``SUPPORTBOT_MAX_WAITING``.
TRANSLATE_PREFIX = "translate."


def variant_queue(variant: str) -> str:
    """The queue whose workers serve ``variant`` (one rule, so web and workers agree)."""
    return f"{QUEUE_PREFIX}{variant}"


def translate_queue(variant: str) -> str:
    """The queue of translations for agents made by ``variant``'s workers."""
    return f"{TRANSLATE_PREFIX}{variant}"


def variant_of_queues(queues: list[str]) -> str:
    """The variant a worker serves, from its ``-Q`` queues (exactly one ``variant.<name>``)."""
    variants = [q.removeprefix(QUEUE_PREFIX) for q in queues if q.startswith(QUEUE_PREFIX)]
    if len(variants) != 1:
        raise RuntimeError(
            f"a reply worker serves exactly one model variant; start it with "
            f"-Q {QUEUE_PREFIX}<name> (got queues {queues})"
        )
    return variants[0]


def route_by_variant(name: str, args: Any, kwargs: Any, options: Any, task=None, **kw) -> Any:
    """Celery's router: a reply job goes to its variant's queue."""
    if name == REPLY_TASK and args:
        return {"queue": variant_queue(args[0]["variant"])}
    return None
