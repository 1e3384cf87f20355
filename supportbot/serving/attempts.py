"""Attempts at one reply: a job that keeps killing its workers is given up after a few.

Workers acknowledge a reply job only once it is answered, and the job registry restarts the
jobs of a dead worker, so a job whose generation itself kills the process (a segfault in a
kernel, an out-of-memory kill, a prompt that trips a bug) would go round every worker for
ever. Each start is counted in the database, keyed by the customer message the reply
answers, before the engine sees the prompt; each end (whatever the outcome, a crash
excepted) is counted too. A start that finds ``max_attempts`` generations that never ended
is refused: the job is given up, once (``ReplyAttempt.given_up_at``).

A worker killed from outside ends every generation in its batch, so deaths are told apart:
a generation that runs alone (a worker runs a reply whose earlier generation died with no
other, ``inference_worker.attempts``) is *blamed* for its death. A reply is given up after
``max_attempts`` deaths only if all but the first were blamed: the first attempt cannot
know it is a suspect, and a reply that merely shared a dying batch is tried again.

Both counts move by conditional UPDATEs, so concurrent deliveries of one job (a restart and
a broker redelivery at once) cannot both slip under the bound.
"""

from __future__ import annotations

from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from supportbot.serving.models import ReplyAttempt


def max_attempts() -> int:
    """``SUPPORTBOT_MAX_REPLY_ATTEMPTS``: generations of one reply that may die unfinished."""
    return int(settings.SUPPORTBOT["MAX_REPLY_ATTEMPTS"])


def begin(reply_to_id: int, limit: int, *, blamed: bool) -> bool:
    """Count a new generation of the reply to message ``reply_to_id``; False (and nothing
    counted) once ``limit`` generations of it died, all but one of them blamed (run alone).

    ``blamed``: should this generation never end, its death is its own."""
    ReplyAttempt.objects.get_or_create(reply_to_id=reply_to_id)
    given_up = Q(started__gte=F("ended") + limit) & Q(
        blamed_started__gte=F("blamed_ended") + (limit - 1)
    )
    counted = (
        ReplyAttempt.objects.filter(reply_to_id=reply_to_id)
        .exclude(given_up)
        .update(
            started=F("started") + 1,
            blamed_started=F("blamed_started") + int(blamed),
            last_started_at=timezone.now(),
        )
    )
    return counted == 1


def end(reply_to_id: int, *, blamed: bool) -> None:
    """The generation counted by ``begin`` came to an end (the worker survived it)."""
    ReplyAttempt.objects.filter(reply_to_id=reply_to_id, ended__lt=F("started")).update(
        ended=F("ended") + 1, blamed_ended=F("blamed_ended") + int(blamed)
    )


def give_up(reply_to_id: int) -> bool:
    """Mark the reply given up; True for the first caller only (who records the failure)."""
    return bool(
        ReplyAttempt.objects.filter(reply_to_id=reply_to_id, given_up_at__isnull=True).update(
            given_up_at=timezone.now()
        )
    )


def unfinished(reply_to_id: int) -> int:
    """Generations of this reply that started and never ended (0 when none): lost with
    their worker, or still running."""
    row = ReplyAttempt.objects.filter(reply_to_id=reply_to_id).values("started", "ended").first()
    return row["started"] - row["ended"] if row else 0
