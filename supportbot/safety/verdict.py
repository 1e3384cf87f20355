"""What a safety check decides, as plain data shared by every detector and the policy."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Action(enum.StrEnum):
    ALLOW = "allow"
    REDACT = "redact"  # pass on with personal data replaced by placeholders
    BLOCK = "block"  # refuse the text (input) or stop the stream (output)
    ESCALATE = "escalate"  # hand the conversation to a person (with care: self-harm)


# Severity order: a verdict takes the strongest action any of its findings asks for.
ACTION_ORDER = (Action.ALLOW, Action.REDACT, Action.BLOCK, Action.ESCALATE)


class Category(enum.StrEnum):
    INJECTION = "injection"  # prompt injection or jailbreak attempt
    HATE = "hate"
    HARASSMENT = "harassment"
    VIOLENCE = "violence"  # threats and violence
    SELF_HARM = "self_harm"
    SEXUAL = "sexual"
    SEXUAL_MINORS = "sexual_minors"
    CRIME = "crime"  # crime and weapons
    PII_EMAIL = "pii_email"
    PII_PHONE = "pii_phone"
    PII_CARD = "pii_card"
    PII_IBAN = "pii_iban"
    PII_IP = "pii_ip"
    PII_NATIONAL_ID = "pii_national_id"
    PROMPT_LEAK = "prompt_leak"  # output: system prompt or knowledge-base internals
    ACTIVE_CONTENT = "active_content"  # output: foreign links, script, risky markup


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of the checked text: ``text[start:end]`` belongs to ``category``."""

    start: int
    end: int
    category: Category
    score: float = 1.0


@dataclass(frozen=True, slots=True)
class Verdict:
    action: Action
    categories: tuple[Category, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    spans: tuple[Span, ...] = ()
    redacted: str = ""  # the text with PII replaced (equal to the input when nothing was)
    # For the safety log: every personal datum hidden, whatever the policy does with it.
    excerpt: str = ""
    # The category behind the action (the strongest of those asking for it), and whether an
    # escalation is urgent (``supportbot.safety.policy.decide`` says when it is not).
    primary: Category | None = None
    urgent: bool = False

    @property
    def is_allow(self) -> bool:
        return self.action is Action.ALLOW

    def to_dict(self) -> dict:
        return {
            "action": str(self.action),
            "categories": [str(c) for c in self.categories],
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
            "spans": [
                {"start": s.start, "end": s.end, "category": str(s.category), "score": s.score}
                for s in self.spans
            ],
            "redacted": self.redacted,
            "primary": str(self.primary) if self.primary else None,
            "urgent": self.urgent,
        }
