"""Which action each category asks for, per deployment, and how findings become a Verdict.

Defaults follow the Llama Guard / Qwen3Guard line for a support bot: personal data is
redacted, harmful content and injection attempts are blocked, and a person in distress is
handed to a human (escalate), never answered with a cold refusal. A deployment overrides
any of them with ``SUPPORTBOT_SAFETY_ACTIONS``, e.g. ``harassment=escalate,pii_ip=allow``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from supportbot.safety.pii import PLACEHOLDERS, redact
from supportbot.safety.verdict import ACTION_ORDER, Action, Category, Span, Verdict

DEFAULT_ACTIONS: dict[Category, Action] = {
    Category.INJECTION: Action.BLOCK,
    Category.HATE: Action.BLOCK,
    Category.HARASSMENT: Action.BLOCK,
    Category.VIOLENCE: Action.ESCALATE,  # a threat needs a person to look at it
    Category.SELF_HARM: Action.ESCALATE,
    Category.SEXUAL: Action.BLOCK,
    Category.SEXUAL_MINORS: Action.ESCALATE,
    # Escalated, not refused: the few ordinary questions the classifier still takes for crime
    # are mostly customers reporting a crime done to them (0.16 % of Banking77's), and a
    # person is the right answer for them; a real request for help with a crime meets a
    # person too.
    Category.CRIME: Action.ESCALATE,
    Category.PII_EMAIL: Action.REDACT,
    Category.PII_PHONE: Action.REDACT,
    Category.PII_CARD: Action.REDACT,
    Category.PII_IBAN: Action.REDACT,
    Category.PII_IP: Action.REDACT,
    Category.PII_NATIONAL_ID: Action.REDACT,
    Category.PROMPT_LEAK: Action.BLOCK,
    Category.ACTIVE_CONTENT: Action.BLOCK,
}


# Severity. A learned category acts only at or above its own threshold. When three or more of
# them fire at once and none is sure, the scores are the network's confusion more than
# evidence (the Vietnamese "I want to talk to a staff member" once came out as violence,
# self-harm, sexual and sexual_minors at middling scores): the message still goes to a
# person, but not as urgent, and no category's special handling (the crisis message) follows
# from it.
SURE_SCORE = 0.9
DIFFUSE_COUNT = 3


def parse_actions(spec: str) -> dict[Category, Action]:
    """``"hate=escalate,pii_ip=allow"`` -> overrides; unknown names are an error, not ignored."""
    overrides: dict[Category, Action] = {}
    for item in filter(None, (part.strip() for part in spec.split(","))):
        name, _, action = item.partition("=")
        try:
            overrides[Category(name.strip())] = Action(action.strip())
        except ValueError as exc:
            known = ", ".join(c.value for c in Category)
            raise ValueError(
                f"bad safety action {item!r}: use <category>=<allow|redact|block|escalate> "
                f"with a category among {known}"
            ) from exc
    return overrides


def actions_for(overrides: Mapping[Category, Action] | None = None) -> dict[Category, Action]:
    return {**DEFAULT_ACTIONS, **(overrides or {})}


def redactable(spans: Iterable[Span], actions: Mapping[Category, Action]) -> list[Span]:
    """The personal data to hide from the model, logs and analytics: every finding whose
    category the deployment does not allow. One rule for customers' messages (``decide``)
    and for everything else stored (``redaction.hide_personal_data``)."""
    return [
        s
        for s in spans
        if s.category in PLACEHOLDERS and actions.get(s.category) is not Action.ALLOW
    ]


def decide(
    text: str,
    scores: Mapping[Category, float],
    thresholds: Mapping[Category, float],
    spans: Iterable[Span],
    actions: Mapping[Category, Action],
) -> Verdict:
    """Combine classifier scores and detector spans into one Verdict for ``text``."""
    spans = sorted(spans, key=lambda s: s.start)
    acts = {c: actions.get(c, Action.BLOCK) for c in Category}
    learned = {
        c
        for c, score in scores.items()
        if score >= thresholds.get(c, 1.0) and acts[c] is not Action.ALLOW
    }
    found = {span.category for span in spans if acts[span.category] is not Action.ALLOW}
    flagged = learned | found
    action = max((acts[c] for c in flagged), key=ACTION_ORDER.index, default=Action.ALLOW)
    # Rule-based findings (spans) are certain; among learned ones the strongest score leads.
    strength = {c: 2.0 for c in found} | {c: float(scores[c]) for c in learned - found}
    primary = max((c for c in flagged if acts[c] is action), key=strength.__getitem__, default=None)
    diffuse = len(learned) >= DIFFUSE_COUNT and max(scores[c] for c in learned) < SURE_SCORE
    redact_spans = redactable(spans, actions)
    return Verdict(
        action=action,
        categories=tuple(sorted(flagged, key=lambda c: list(Category).index(c))),
        scores={str(c): float(v) for c, v in scores.items()},
        spans=tuple(spans),
        redacted=redact(text, redact_spans),
        excerpt=redact(text, [s for s in spans if s.category in PLACEHOLDERS]),
        primary=None if diffuse and primary not in found else primary,
        urgent=action is Action.ESCALATE and not diffuse,
    )
