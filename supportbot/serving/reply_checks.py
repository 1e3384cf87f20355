"""The checks a reply passes while it streams, and what replaces a reply that fails one.

Three checks run at every checkpoint of the output guard (``inference_worker.output_guard``),
on the reply so far: the safety filter (``safety.guard``), groundedness (every number must
come from the cited passages or the conversation: ``knowledge.grounding``; a translated
passage must also still mean what its source says) and the reply's language (it must be the
customer's). A safety failure gets a safe reply and a person; a
failed quality check gets the source's own text in the customer's language, or, when there
is none in that language, a hand-over, so an unsupported or wrong-language reply is never
shown as is.
"""

from __future__ import annotations

from django.conf import settings

from inference_worker.jobs import ReplyJob
from inference_worker.output_guard import ALLOW, Checker, GuardDecision
from supportbot.chat.language import detect_language
from supportbot.embeddings.service import get_embedder
from supportbot.knowledge.grounding import supported_facts, unsupported_in
from supportbot.safety.guard import output_checker
from supportbot.safety.messages import message as safety_message

# Below this many letters a reply's language is not judged (a name, "OK", a number).
LANGUAGE_MIN_LETTERS = 24
LANGUAGE_MIN_CONFIDENCE = 0.9
# A translated passage, so far, against its source (e5 passage vectors, any two languages).
# Calibrated on the demo base's parallel versions (bench/retrieval_calibration.py): the first
# sentence of a correct translation scores 0.83 or more against its whole source (1st
# percentile of 216), while the bundled 270M model's mistranslations ("Merci, c'est réglé.",
# "Jag har fått ett paket.") score 0.72-0.81. Below this too few letters are not judged.
TRANSLATION_MIN_SIMILARITY = 0.815
TRANSLATION_MIN_LETTERS = 12


def grounding_check(job: ReplyJob) -> Checker:
    # The sources are read once; each checkpoint only reads the reply so far.
    supported = supported_facts([job.prompt.knowledge, *(t.text for t in job.prompt.history)])
    faithful = translation_check(job) if job.translate_text else None

    def check(text: str) -> GuardDecision:
        missing = unsupported_in(text, supported)
        if missing:
            return GuardDecision(
                False, reason="unsupported: " + ", ".join(missing), kind="ungrounded",
                categories=tuple(missing),
            )  # fmt: skip
        return faithful(text) if faithful is not None else ALLOW

    return check


def translation_check(job: ReplyJob) -> Checker:
    """The translation so far must mean what ``job.translate_text`` says: a small model
    asked to translate also invents, or answers something else, with no number to catch."""
    embedder = get_embedder()
    source = embedder.embed_passages([job.translate_text])[0]

    def check(text: str) -> GuardDecision:
        if sum(ch.isalpha() for ch in text) < TRANSLATION_MIN_LETTERS:
            return ALLOW
        similarity = float(embedder.embed_passages([text])[0] @ source)
        if similarity >= TRANSLATION_MIN_SIMILARITY:
            return ALLOW
        return GuardDecision(
            False, reason=f"the translation strays from its source ({similarity:.3f})",
            kind="ungrounded", categories=("translation",),
        )  # fmt: skip

    return check


def language_check(job: ReplyJob) -> Checker:
    wanted = job.prompt.language

    def check(text: str) -> GuardDecision:
        if sum(ch.isalpha() for ch in text) < LANGUAGE_MIN_LETTERS:
            return ALLOW
        # The conversation's language is the prior: only a clear switch counts.
        guess = detect_language(text, history=[wanted] * 3, default=wanted)
        if guess.code == wanted or guess.confidence < LANGUAGE_MIN_CONFIDENCE:
            return ALLOW
        return GuardDecision(
            False, reason=f"reply in {guess.code}, not {wanted}", kind="wrong_language",
            categories=(guess.code,),
        )  # fmt: skip

    return check


def quality_checks() -> list[str]:
    """The quality checks this deployment runs (recorded with every reply that passed them)."""
    options = settings.SUPPORTBOT
    names = []
    # Without sources (small talk) every number is the model's invention: checked all the same.
    if options["GROUNDING_CHECK"]:
        names.append("grounding")
    if options["REPLY_LANGUAGE_CHECK"]:
        names.append("language")
    return names


QUALITY_CHECKS = {"grounding": grounding_check, "language": language_check}


def active_checks(job: ReplyJob) -> list[tuple[str, Checker]]:
    checks: list[tuple[str, Checker]] = []
    safety = output_checker(job)
    if safety is not None:
        checks.append(("safety", safety))
    checks.extend((name, QUALITY_CHECKS[name](job)) for name in quality_checks())
    return checks


def reply_checker(job: ReplyJob) -> Checker | None:
    """All of ``active_checks`` as one guard check (None: stream unchecked)."""
    checks = active_checks(job)
    if not checks:
        return None

    def check(text: str) -> GuardDecision:
        for _name, one in checks:
            decision = one(text)
            if not decision.allow:
                return decision
        return ALLOW

    return check


def replacement(job: ReplyJob, decision: GuardDecision) -> tuple[str, dict]:
    """The text shown instead of a reply that failed a quality check, and the decision kept
    with it (``Message.grounding``)."""
    language = job.prompt.language
    passage = job.prompt.knowledge.split("\n")[0].strip()
    source = job.sources[0] if job.sources else None
    grounding = {
        "supported": False,
        "check": decision.kind,
        "reason": decision.reason,
        "unsupported": list(decision.categories),
    }
    if source is not None and source.get("language") == language and passage:
        return passage, {**grounding, "action": "source_text"}
    return safety_message("handover", language), {**grounding, "action": "handover"}
