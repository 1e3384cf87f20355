"""At most one bot reply in flight per conversation, across sockets, processes and workers.

A customer who writes three messages while the bot answers the first must not queue three
generations (three sockets used to get thirty). The conversation's slot is a cache key held
by the job generating; a message that finds it taken is marked pending and answered when the
slot is released, by one job that sees the whole conversation (``follow_up``).
"""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def _slot(conversation: str) -> str:
    return f"supportbot:reply-slot:{conversation}"


def _pending(conversation: str) -> str:
    return f"supportbot:reply-pending:{conversation}"


def claim(conversation: str, request_id: str, ttl_s: float) -> bool:
    """Take the conversation's slot for ``request_id``. False: another reply is in flight,
    and this conversation is marked to be answered again when it ends."""
    timeout = int(ttl_s) + 1
    if cache.add(_slot(conversation), request_id, timeout=timeout):
        return True
    if cache.get(_slot(conversation)) == request_id:
        return True  # the same job again (a resume, a second tab)
    cache.set(_pending(conversation), 1, timeout=timeout)
    # The reply in flight may have ended between the two calls: then this one may go.
    if cache.add(_slot(conversation), request_id, timeout=timeout):
        cache.delete(_pending(conversation))
        return True
    return False


def release(conversation: str, request_id: str) -> bool:
    """Free the slot if ``request_id`` holds it; True when a message waits for its answer."""
    if cache.get(_slot(conversation)) == request_id:
        cache.delete(_slot(conversation))
    return bool(cache.delete(_pending(conversation)))


def release_quietly(conversation: str, request_id: str) -> bool:
    """``release`` that never fails the caller (the keys expire on their own)."""
    try:
        return release(conversation, request_id)
    except Exception:
        logger.warning("could not release the reply slot of %s", conversation, exc_info=True)
        return False
