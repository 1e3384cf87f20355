"""Replay before launch: past customer turns answered again by a candidate variant, unseen.

Each turn's job is built the way the chat builds it (knowledge retrieval and the prompt of
``chat.prompts``, from the redacted text), and each variant answers it through the reply
lifecycle every deployment runs (``inference_worker.serving.WorkerRuntime``: prompt
rendering, the engine, the streaming output guard and its checks). Only the sink differs:
``ReplaySink`` keeps what a generation produced instead of storing or announcing it, so no
message is written, no frame is sent and no conversation changes. The default variant
answers the same turns beside the candidate; ``ReplayReport.summary()`` compares them
(docs/replay.md).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from inference_worker.engine import Engine, EventCallback
from inference_worker.jobs import ReplyJob
from inference_worker.output_guard import Checker, GuardDecision
from inference_worker.sequence import GenerationRequest, StreamEvent
from inference_worker.serving import EngineBusy, Frame, RunOnLoop, WorkerRuntime
from supportbot.chat.dispatching import get_dispatcher
from supportbot.chat.models import Actor, Message
from supportbot.chat.prompts import SCREENED_OUT, build_reply_job
from supportbot.chat.replies import ReplyOutcome
from supportbot.experiments.models import ModelVariant
from supportbot.knowledge.search import retrieve
from supportbot.safety.guard import output_context
from supportbot.safety.screening import check_outputs
from supportbot.serving import reply_checks
from supportbot.serving.engines import VariantSettings, variant_settings
from supportbot.serving.replay_summary import Answer, differences, variant_metrics

logger = logging.getLogger(__name__)

WORKER = "replay"
BUSY_RETRIES = 20
BUSY_WAIT_S = 0.5


class ReplayError(Exception):
    """The replay cannot run: an unknown variant, the default as candidate, a model that
    does not load."""


@dataclass(slots=True)
class Turn:
    message_id: int
    conversation: str
    language: str
    answers: dict[str, Answer] = field(default_factory=dict)


@dataclass(slots=True)
class ReplayReport:
    candidate: VariantSettings
    default: VariantSettings
    turns: list[Turn]
    without_model: int = 0  # selected turns the product answers with no model (no article)

    def summary(self) -> dict[str, Any]:
        """The comparison as one JSON-ready object (keys defined in docs/replay.md)."""
        variants = {
            variant.name: variant_metrics(variant, [t.answers[variant.name] for t in self.turns])
            for variant in (self.candidate, self.default)
        }
        return {
            "turns": len(self.turns),
            "without_model": self.without_model,
            "candidate": self.candidate.name,
            "default": self.default.name,
            "variants": variants,
            "differences": differences(variants[self.candidate.name], variants[self.default.name]),
        }


# -- which turns, and the job the product builds for each ---------------------------------


def select_turns(
    limit: int, *, since: datetime | None = None, language: str | None = None
) -> list[Message]:
    """The ``limit`` newest customer messages the bot answered, oldest first. Messages the
    input filter refused or escalated never reach a model, so they are not replayed."""
    answered = Message.objects.filter(reply_to=OuterRef("pk"), role=Actor.BOT)
    turns = (
        Message.objects.filter(role=Actor.CUSTOMER)
        .filter(Exists(answered))
        .exclude(safety_action__in=SCREENED_OUT)
        .select_related("conversation", "conversation__variant")
    )
    if since is not None:
        turns = turns.filter(created_at__gte=since)
    if language:
        turns = turns.filter(Q(language=language) | Q(language="", conversation__language=language))
    return list(turns.order_by("-created_at", "-pk")[:limit])[::-1]


def plan_job(message: Message) -> ReplyJob | None:
    """The job the chat sends a model for ``message`` (answer mode ``generate``), or None
    when no article is relevant and the product answers without any model."""
    retrieval = retrieve(message.model_text, message.language)
    if retrieval.abstain:
        return None
    return build_reply_job(message, retrieval=retrieval)


# -- generating without showing anything ----------------------------------------------------


class ReplaySink:
    """``ReplySink`` that keeps each outcome instead of storing or announcing it."""

    def __init__(self) -> None:
        self.outcomes: dict[str, tuple[str, StreamEvent]] = {}

    def attach(self, run_on_loop: RunOnLoop) -> None:
        pass

    def announce_stored_reply(self, job: ReplyJob) -> bool:
        return False  # every replayed turn has a stored reply: generate regardless

    def job_started(self, job: ReplyJob) -> None:
        pass

    def job_abandoned(self, job: ReplyJob, *, will_retry: bool) -> None:
        pass

    def job_finished(self, job: ReplyJob) -> None:
        pass

    def output_checker(self, job: ReplyJob) -> Checker | None:
        return reply_checks.reply_checker(job)  # the deployment's live checks

    def store_reply(self, job: ReplyJob, event: StreamEvent, *, worker: str) -> bool:
        failed = ReplyOutcome.from_stream(event, queued_at=job.queued_at, worker=worker).failure
        self.outcomes[job.request_id] = ("failed" if failed else "replied", event)
        return not failed

    def store_blocked_reply(
        self, job: ReplyJob, event: StreamEvent, decision: GuardDecision, *, worker: str
    ) -> None:
        self.outcomes[job.request_id] = ("blocked", event)

    def store_replaced_reply(
        self, job: ReplyJob, event: StreamEvent, decision: GuardDecision, *, worker: str
    ) -> None:
        self.outcomes[job.request_id] = ("replaced", event)

    def delta_frame(self, job: ReplyJob, text: str) -> Frame:
        return {}

    def restart_frame(self, job: ReplyJob) -> Frame:
        return {}

    def failed_frame(self, job: ReplyJob) -> Frame:
        return {}

    async def publish(self, conversation: str, frame: Frame) -> None:
        pass  # nobody sees a replay


class _RecordingEngine:
    """The engine as the runtime uses it, noting the prompt of each request it is sent."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.prompts: dict[str, str] = {}

    def submit(self, request: GenerationRequest, on_event: EventCallback) -> None:
        self.prompts[request.request_id] = request.prompt
        self._engine.submit(request, on_event)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


class Replayer:
    """One runtime per variant, on a publishing loop of its own, over the engines this
    process serves the variants with (``get_dispatcher().engine``)."""

    def __init__(self, variants: list[VariantSettings], *, seed: int | None = None) -> None:
        self.seed = seed
        self._settings = {v.name: v for v in variants}
        self._local = None
        self._thread: threading.Thread | None = None
        dispatcher = get_dispatcher()
        if not hasattr(dispatcher, "engine"):
            # Behind Celery the engines live in the workers: load one here, as the
            # embedded default does (imported here: the web never needs it otherwise).
            from supportbot.serving.inprocess import InProcessDispatcher

            dispatcher = self._local = InProcessDispatcher()
        self._engines: dict[str, _RecordingEngine] = {}
        # Off this thread: ``engine()`` closes its thread's database connection.
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            for variant in variants:
                try:
                    engine = pool.submit(dispatcher.engine, variant.name).result()
                except Exception as exc:
                    self.close()
                    raise ReplayError(f"variant {variant.name!r} cannot load: {exc}") from exc
                self._engines[variant.name] = _RecordingEngine(engine)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="replay-publisher", daemon=True
        )
        self._thread.start()
        self._sink = ReplaySink()
        options = settings.SUPPORTBOT
        self._runtimes = {
            name: WorkerRuntime(
                engine,  # type: ignore[arg-type]  # the engine, its submits noted
                self._sink,
                worker=WORKER,
                variant=name,
                coalesce_s=options["COALESCE_MS"] / 1000,
                job_timeout_s=options["GENERATION_TIMEOUT_S"],
                loop=self._loop,
            )
            for name, engine in self._engines.items()
        }

    def close(self) -> None:
        """Stop the loop, and any engine loaded here (the dispatcher's keep serving)."""
        if self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
            self._loop.close()
            self._thread = None
        if self._local is not None:
            self._local.shutdown()
            self._local = None

    def warm_up(self, job: ReplyJob) -> None:
        """One short generation per variant, not measured (first-call costs)."""
        for name in self._runtimes:
            self._serve(name, replace(job, max_new_tokens=1), tag="warm-up")

    def answer(self, name: str, job: ReplyJob, *, index: int) -> Answer:
        """Variant ``name``'s answer to ``job``, generated, guarded and not shown."""
        variant = self._settings[name]
        # As the dispatcher does: variants sharing an engine keep their own reply length.
        job = replace(job, variant=name, max_new_tokens=variant.max_new_tokens)
        runner = getattr(self._engines[name], "runner", None)
        if self.seed is not None and runner is not None:
            runner.generator.manual_seed(self.seed + index)  # same draw for both variants
        return self._serve(name, job, tag=name)

    def _serve(self, name: str, job: ReplyJob, *, tag: str) -> Answer:
        # Its own request id: the turn's real reply may share the engine with this one.
        job = replace(job, conversation=f"replay-{tag}-{job.conversation}", queued_at=time.time())
        runtime = self._runtimes[name]
        for _attempt in range(BUSY_RETRIES):
            try:
                runtime.serve(job)
                break
            except EngineBusy:
                time.sleep(BUSY_WAIT_S)  # live replies first: the engine is shared
            except Exception:
                logger.exception("replaying %s with %s failed", job.request_id, name)
                break
        prompt = self._engines[name].prompts.pop(job.request_id, "")
        kept = self._sink.outcomes.pop(job.request_id, None)
        if kept is None:
            return Answer(prompt, "", 0, "error", "failed", None, None)
        outcome, event = kept
        timed = ReplyOutcome.from_stream(event, queued_at=job.queued_at, worker=WORKER)
        return Answer(
            prompt=prompt,
            text=event.text,
            tokens=event.num_tokens,
            finish_reason=timed.finish_reason,
            outcome=outcome,
            ttft_s=_since(job.queued_at, timed.first_token_at),
            complete_s=_since(job.queued_at, timed.completed_at),
        )


def _since(start: float, end: float | None) -> float | None:
    return None if end is None else max(0.0, end - start)


def judge(job: ReplyJob, answers: list[Answer]) -> None:
    """The product's checks on each whole answer, whatever the deployment runs live: the
    reply's language, groundedness and the output safety filter."""
    language = reply_checks.language_check(job)
    grounding = reply_checks.grounding_check(job)
    written = [a for a in answers if a.text.strip()]
    verdicts = check_outputs([a.text for a in written], output_context(job)) if written else []
    for answer, verdict in zip(written, verdicts, strict=True):
        letters = sum(ch.isalpha() for ch in answer.text)
        if letters >= reply_checks.LANGUAGE_MIN_LETTERS:
            answer.language_ok = language(answer.text).allow
        answer.grounded = grounding(answer.text).allow
        answer.safety = () if verdict.is_allow else tuple(str(c) for c in verdict.categories)


def replay(
    candidate: str,
    *,
    limit: int,
    since: datetime | None = None,
    language: str | None = None,
    seed: int | None = None,
) -> ReplayReport:
    """Answer the ``limit`` newest answered customer turns with variant ``candidate`` and
    with the default variant, unseen by anyone (``ReplayError`` when it cannot)."""
    if not ModelVariant.objects.filter(name=candidate).exists():
        known = ", ".join(ModelVariant.objects.order_by("name").values_list("name", flat=True))
        raise ReplayError(f"unknown variant {candidate!r} (known: {known or 'none'})")
    default = ModelVariant.get_default().name
    if default == candidate:
        raise ReplayError(f"{candidate!r} is the default variant: nothing to compare it with")
    variants = [variant_settings(candidate), variant_settings(default)]
    planned = [(m, plan_job(m)) for m in select_turns(limit, since=since, language=language)]
    jobs = [(m, job) for m, job in planned if job is not None]
    report = ReplayReport(variants[0], variants[1], [], without_model=len(planned) - len(jobs))
    if not jobs:
        return report
    replayer = Replayer(variants, seed=seed)
    try:
        replayer.warm_up(jobs[0][1])
        for index, (message, job) in enumerate(jobs):
            # Alternate who goes first, so neither variant always meets a warmer engine.
            order = variants if index % 2 == 0 else variants[::-1]
            answers = {v.name: replayer.answer(v.name, job, index=index) for v in order}
            judge(job, list(answers.values()))
            report.turns.append(Turn(message.pk, job.conversation, job.prompt.language, answers))
    finally:
        replayer.close()
    return report
