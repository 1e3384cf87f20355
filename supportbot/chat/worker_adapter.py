"""The one door between an inference worker and the Django app.

``inference_worker`` never imports Django. Its runtime reads and stores replies and publishes
frames through ``DjangoReplySink``, and a worker derives its engine settings from its
variant here. ``worker_process`` runs the worker process's life around them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import OperationalError, close_old_connections

from inference_worker.config import EngineConfig, SamplingDefaults
from inference_worker.engine import Engine
from inference_worker.jobs import ReplyJob
from inference_worker.output_guard import Checker, GuardDecision
from inference_worker.sequence import StreamEvent
from inference_worker.serving import Frame
from supportbot.agents import notify
from supportbot.celery import QUEUE_PREFIX
from supportbot.chat import frames, job_registry
from supportbot.chat.dispatch import job_marker_key, send_to_conversation
from supportbot.chat.models import Actor, Message
from supportbot.chat.safety_actions import handoff_frame_for, store_blocked_reply
from supportbot.chat.services import ReplyOutcome, bot_superseded, store_bot_reply
from supportbot.experiments.models import ModelVariant
from supportbot.safety.guard import blocked_verdict, output_checker

logger = logging.getLogger(__name__)

STORE_ATTEMPTS = 3


class DjangoReplySink:
    """``inference_worker.serving.ReplySink`` over the ORM, the cache and the channel layer."""

    def __init__(self, redis_client) -> None:
        self.redis = redis_client

    def stored_reply_frame(self, job: ReplyJob) -> Frame | None:
        reply = Message.objects.filter(reply_to_id=job.reply_to_id, role=Actor.BOT).first()
        return None if reply is None else frames.bot_done(reply, job.reply_to_seq)

    def job_started(self, job: ReplyJob) -> None:
        job_registry.job_started(self.redis, job.request_id, job.to_dict())

    def store_reply(self, job: ReplyJob, event: StreamEvent, *, worker: str) -> Frame:
        outcome = ReplyOutcome.from_stream(event, queued_at=job.queued_at, worker=worker)
        reply = self._with_retries(job, lambda: store_bot_reply(job.reply_to_id, outcome)[0])
        self._forget(job, answered=reply is not None)
        if reply is None:
            if bot_superseded(job.reply_to_id):
                # People took over while it was written: take back what streamed.
                return frames.bot_retract(job.reply_to_seq)
            return frames.bot_failed(job.reply_to_seq)
        return frames.bot_done(reply, job.reply_to_seq)

    def job_abandoned(self, job: ReplyJob, *, will_retry: bool) -> None:
        if will_retry:
            job_registry.job_ended(self.redis, job.request_id)
        else:
            self._forget(job, answered=False)

    def failed_frame(self, job: ReplyJob) -> Frame:
        return frames.bot_failed(job.reply_to_seq)

    def output_checker(self, job: ReplyJob) -> Checker | None:
        return output_checker(job)

    def store_blocked_reply(
        self, job: ReplyJob, event: StreamEvent, decision: GuardDecision, *, worker: str
    ) -> Frame:
        outcome = ReplyOutcome.from_stream(event, queued_at=job.queued_at, worker=worker)
        verdict = blocked_verdict(event, decision)
        reply = self._with_retries(
            job, lambda: store_blocked_reply(job.reply_to_id, outcome, verdict)
        )
        self._forget(job, answered=reply is not None)
        if reply is None:
            return frames.bot_failed(job.reply_to_seq)
        return frames.bot_done(reply, job.reply_to_seq)

    def retract_frame(self, job: ReplyJob) -> Frame:
        return frames.bot_retract(job.reply_to_seq)

    def handoff_frame(self, job: ReplyJob) -> Frame | None:
        return handoff_frame_for(job.conversation)

    def delta_frame(self, job: ReplyJob, text: str) -> Frame:
        return frames.bot_delta(job.reply_to_seq, text)

    def restart_frame(self, job: ReplyJob) -> Frame:
        return frames.bot_restart(job.reply_to_seq)

    async def publish(self, conversation: str, frame: Frame) -> None:
        await send_to_conversation(conversation, frame)
        if frame.get("type") == "handoff":
            await notify.queue_changed()  # a new ticket for the consoles

    @staticmethod
    def _with_retries(job: ReplyJob, store: Callable[[], Message | None]) -> Message | None:
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
        return None

    def _forget(self, job: ReplyJob, *, answered: bool) -> None:
        """End the job's records. An answered job's marker stays a minute, so a resume that
        read "unanswered" just before the store does not queue it again."""
        try:
            job_registry.job_ended(self.redis, job.request_id)
            marker = job_marker_key(job.request_id)
            if answered:
                cache.set(marker, "answered", timeout=60)
            else:
                cache.delete(marker)
        except Exception:
            # Records expire on their own; they only delay a redispatch on resume.
            logger.warning("could not clear the records of %s", job.request_id)


def variant_of_queues(queues: list[str]) -> str:
    """The variant a worker serves, from its ``-Q`` queues (exactly one ``variant.<name>``)."""
    variants = [q.removeprefix(QUEUE_PREFIX) for q in queues if q.startswith(QUEUE_PREFIX)]
    if len(variants) != 1:
        raise RuntimeError(
            f"a reply worker serves exactly one model variant; start it with "
            f"-Q {QUEUE_PREFIX}<name> (got queues {queues})"
        )
    return variants[0]


def check_variant(variant_name: str, engine: Engine) -> None:
    """Say loudly when the variant's declared shape differs from what was loaded."""
    variant = ModelVariant.objects.filter(name=variant_name).first()
    if variant is not None and engine.is_moe is not None and variant.is_moe != engine.is_moe:
        logger.warning(
            "variant %s says is_moe=%s but %s loaded as %s; fix the variant",
            variant_name, variant.is_moe, variant.model, "MoE" if engine.is_moe else "dense",
        )  # fmt: skip
    if engine.quantization_report is not None:
        logger.info("variant %s: %s", variant_name, engine.quantization_report.summary())


def engine_config_for(variant_name: str, *, batch_width: int) -> EngineConfig:
    """The engine settings of a variant: its row if it exists, else the deployment's default."""
    options = settings.SUPPORTBOT
    variant = ModelVariant.objects.filter(name=variant_name).first()
    model, quantization, context, generation = options["MODEL"], "none", 2048, {}
    if variant is not None:
        model, quantization = variant.model, variant.quantization
        context, generation = variant.context_length, dict(variant.generation or {})
    else:
        logger.warning(
            "no model variant %r in the database; serving the default model %s",
            variant_name,
            model,
        )
    sampling_keys = set(SamplingDefaults.__slots__)
    return EngineConfig(
        model=model,
        device=options["DEVICE"],
        quantization=quantization,
        max_batch_size=batch_width,
        # The broker is the queue; the engine only holds what the worker has taken.
        max_waiting=max(batch_width, 1),
        max_new_tokens=min(options["MAX_NEW_TOKENS"], context - 1),
        max_context_tokens=context,
        sampling=SamplingDefaults(**{k: v for k, v in generation.items() if k in sampling_keys}),
    )
