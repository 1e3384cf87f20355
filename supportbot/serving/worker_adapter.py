"""The one door between the engine's runtime and the Django app.

``inference_worker`` never imports Django. Its runtime (``inference_worker.serving``) reads and
stores replies and publishes frames through ``DjangoReplySink``, in a Celery worker and in the
embedded default alike; only the job records differ (a Redis registry of running jobs for
workers, nothing for the embedded engine, whose jobs die with the web process).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from channels.layers import get_channel_layer
from django.db import OperationalError, close_old_connections, transaction

from inference_worker.jobs import ReplyJob
from inference_worker.output_guard import Checker, GuardDecision
from inference_worker.sequence import StreamEvent
from inference_worker.serving import Frame, RunOnLoop
from supportbot.chat import broadcast, frames, replies
from supportbot.chat.models import Actor, Message
from supportbot.detectors.bot_handover import bot_cannot_help
from supportbot.safety.guard import blocked_verdict
from supportbot.serving import attempts, reply_checks, reply_slots
from supportbot.serving.accounting import record_generation
from supportbot.serving.models import GenerationRecord

logger = logging.getLogger(__name__)

STORE_ATTEMPTS = 3
T = TypeVar("T")


class JobRecords(Protocol):
    """Where a deployment keeps track of the jobs in flight."""

    def started(self, job: ReplyJob) -> None: ...

    def ended(self, job: ReplyJob, *, answered: bool, will_retry: bool = False) -> None: ...


class NoJobRecords:
    """The embedded default: jobs live and die with the web process."""

    def started(self, job: ReplyJob) -> None:
        pass

    def ended(self, job: ReplyJob, *, answered: bool, will_retry: bool = False) -> None:
        pass


class DjangoReplySink:
    """``inference_worker.serving.ReplySink`` over the ORM and the channel layer."""

    def __init__(
        self,
        records: JobRecords | None = None,
        *,
        follow_up: Callable[[str], None] | None = None,
    ) -> None:
        """``follow_up(conversation)``: queue the answer to a conversation whose message
        waited while this runtime's reply was in flight (``reply_slots``)."""
        self.records = records or NoJobRecords()
        self.follow_up = follow_up
        self._run_on_loop: RunOnLoop | None = None

    def attach(self, run_on_loop: RunOnLoop) -> None:
        self._run_on_loop = run_on_loop

    def _publisher(self) -> broadcast.Publisher | None:
        """Through the runtime's loop, after the deltas; unattached, the default way."""
        run_on_loop = self._run_on_loop
        if run_on_loop is None:
            return None

        def publish(group: str, message: dict) -> None:
            run_on_loop(get_channel_layer().group_send(group, message))

        return publish

    def announce_stored_reply(self, job: ReplyJob) -> bool:
        reply = (
            Message.objects.filter(reply_to_id=job.reply_to_id, role=Actor.BOT)
            .only("seq", "text", "finish_reason")
            .first()
        )
        if reply is None:
            return False
        # Stored before a crash but maybe never announced: announce it (again).
        self._run_on_loop(self.publish(job.conversation, frames.bot_done(reply, job.reply_to_seq)))
        self.records.ended(job, answered=True)
        self.job_finished(job)
        return True

    def job_finished(self, job: ReplyJob) -> None:
        waiting = reply_slots.release_quietly(job.conversation, job.request_id)
        if waiting and self.follow_up is not None:
            self.follow_up(job.conversation)

    def job_started(self, job: ReplyJob) -> None:
        self.records.started(job)

    def job_abandoned(self, job: ReplyJob, *, will_retry: bool) -> None:
        self.records.ended(job, answered=False, will_retry=will_retry)

    def lost_generations(self, job: ReplyJob) -> int:
        return attempts.unfinished(job.reply_to_id)

    def begin_attempt(self, job: ReplyJob, *, blamed: bool) -> bool:
        limit = attempts.max_attempts()
        if attempts.begin(job.reply_to_id, limit, blamed=blamed):
            return True
        # Every delivery from now on lands here (a late broker redelivery, a resume that
        # queues the unanswered message again): the failure is recorded once, and whoever
        # is connected hears it each time.
        with broadcast.publishing_through(self._publisher()), transaction.atomic():
            first = attempts.give_up(job.reply_to_id)
            replies.store_given_up(job.reply_to_id, attempts=limit, record=first)
        self.records.ended(job, answered=False)
        return False

    def end_attempt(self, job: ReplyJob, *, blamed: bool) -> None:
        attempts.end(job.reply_to_id, blamed=blamed)

    def output_checker(self, job: ReplyJob) -> Checker | None:
        return reply_checks.reply_checker(job)

    def store_reply(self, job: ReplyJob, event: StreamEvent, *, worker: str) -> bool:
        outcome = replies.ReplyOutcome.from_stream(event, queued_at=job.queued_at, worker=worker)
        # Outside any transaction and off the web's database thread: an embedding.
        cannot_help = bool(outcome.text) and outcome.finish_reason not in ("abort", "error")
        cannot_help = cannot_help and bot_cannot_help(outcome.text)
        checked = reply_checks.quality_checks()
        grounding = {"supported": True, "checks": checked} if checked else {}
        with broadcast.publishing_through(self._publisher()):
            reply, created = self._with_retries(
                job,
                lambda: replies.store_bot_reply(
                    job.reply_to_id,
                    outcome,
                    cannot_help=cannot_help,
                    sources=job.sources,
                    grounding=grounding,
                ),
            )
        self.records.ended(job, answered=reply is not None)
        if created or reply is None:
            failure = "" if reply is not None else outcome.failure or "superseded"
            self._record(job, event, worker, reply, failure=failure)
        return reply is not None

    def _record(
        self, job: ReplyJob, event: StreamEvent, worker: str, reply: Message | None, **kwargs
    ) -> None:
        conversation_id = (
            reply.conversation_id
            if reply is not None
            else Message.objects.filter(pk=job.reply_to_id)
            .values_list("conversation_id", flat=True)
            .first()
        )
        record_generation(
            event,
            purpose=GenerationRecord.Purpose.REPLY,
            variant=job.variant,
            worker=worker,
            conversation_id=conversation_id,
            reply_to_id=job.reply_to_id,
            **kwargs,
        )

    def store_blocked_reply(
        self, job: ReplyJob, event: StreamEvent, decision: GuardDecision, *, worker: str
    ) -> None:
        outcome = replies.ReplyOutcome.from_stream(event, queued_at=job.queued_at, worker=worker)
        verdict = blocked_verdict(event, decision)
        with broadcast.publishing_through(self._publisher()):
            reply = self._with_retries(
                job, lambda: replies.store_blocked_reply(job.reply_to_id, outcome, verdict)
            )
        self.records.ended(job, answered=reply is not None)
        self._record(job, event, worker, reply, finish_reason="blocked")

    def store_replaced_reply(
        self, job: ReplyJob, event: StreamEvent, decision: GuardDecision, *, worker: str
    ) -> None:
        outcome = replies.ReplyOutcome.from_stream(event, queued_at=job.queued_at, worker=worker)
        text, grounding = reply_checks.replacement(job, decision)
        with broadcast.publishing_through(self._publisher()):
            reply = self._with_retries(
                job,
                lambda: replies.store_replaced_reply(
                    job.reply_to_id, outcome, text=text, grounding=grounding, sources=job.sources
                ),
            )
        self.records.ended(job, answered=reply is not None)
        self._record(
            job, event, worker, reply, finish_reason=grounding["action"], failure=decision.kind
        )

    def delta_frame(self, job: ReplyJob, text: str) -> Frame:
        return frames.bot_delta(job.reply_to_seq, text)

    def restart_frame(self, job: ReplyJob) -> Frame:
        return frames.bot_restart(job.reply_to_seq)

    def failed_frame(self, job: ReplyJob) -> Frame:
        return frames.bot_failed(job.reply_to_seq)

    async def publish(self, conversation: str, frame: Frame) -> None:
        await get_channel_layer().group_send(
            broadcast.group_name(conversation), broadcast.frame_message(frame)
        )

    @staticmethod
    def _with_retries(job: ReplyJob, store: Callable[[], T]) -> T:
        # The reply is generated (or replaced by the safe one); a database hiccup must not
        # throw it away. Both stores are idempotent per question, so a retry cannot double it.
        for attempt in range(STORE_ATTEMPTS):
            try:
                return store()
            except OperationalError:
                if attempt == STORE_ATTEMPTS - 1:
                    raise
                logger.warning("storing the reply of %s failed; retrying", job.request_id)
                close_old_connections()
                time.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")
