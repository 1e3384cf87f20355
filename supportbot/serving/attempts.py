"""Attempts at one reply: a job that keeps killing its workers is given up after a few.

Workers acknowledge a reply job only once it is answered, and the job registry restarts the
jobs of a dead worker, so a job whose generation itself kills the process (a segfault in a
kernel, an out-of-memory kill, a prompt that trips a bug) would go round every worker for
ever. Each start is counted in the database, keyed by the customer message the reply
answers, before the engine sees the prompt; each end (whatever the outcome, a crash
excepted) is counted too. A start that finds ``max_attempts`` generations that never ended
is refused: the job is given up, once (``ReplyAttempt.given_up_at``).

Both counts move by conditional UPDATEs, so concurrent deliveries of one job (a restart and
a broker redelivery at once) cannot both slip under the bound.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from supportbot.serving.models import ReplyAttempt


def max_attempts() -> int:
    """``SUPPORTBOT_MAX_REPLY_ATTEMPTS``: generations of one reply that may die unfinished."""
    return int(settings.SUPPORTBOT["MAX_REPLY_ATTEMPTS"])


def begin(reply_to_id: int, limit: int) -> bool:
    """Count a new generation of the reply to message ``reply_to_id``; False (and nothing
    counted) when ``limit`` generations of it were started and never ended."""
    ReplyAttempt.objects.get_or_create(reply_to_id=reply_to_id)
    counted = ReplyAttempt.objects.filter(
        reply_to_id=reply_to_id, started__lt=F("ended") + limit
    ).update(started=F("started") + 1, last_started_at=timezone.now())
    return counted == 1


def end(reply_to_id: int) -> None:
    """The generation counted by ``begin`` came to an end (the worker survived it)."""
    ReplyAttempt.objects.filter(reply_to_id=reply_to_id, ended__lt=F("started")).update(
        ended=F("ended") + 1
    )


def give_up(reply_to_id: int) -> bool:
    """Mark the reply given up; True for the first caller only (who records the failure)."""
    return bool(
        ReplyAttempt.objects.filter(reply_to_id=reply_to_id, given_up_at__isnull=True).update(
            given_up_at=timezone.now()
        )
    )


def started(reply_to_id: int) -> int:
    """How many generations of this reply were started (0 when none)."""
    return (
        ReplyAttempt.objects.filter(reply_to_id=reply_to_id)
        .values_list("started", flat=True)
        .first()
        or 0
    )
