"""The redacted copy stored beside a text: personal data replaced by placeholders.

Customers' messages get theirs from the input filter's verdict (``policy.decide``); agents'
messages, bot replies and CSAT comments from ``hide_personal_data``. Both take the same
detectors (``pii.find_pii``), the same rule for what to hide (``policy.redactable``) and the
same placeholders (``pii.redact``). Pure functions, no database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from supportbot.safety.pii import PLACEHOLDERS, find_pii, redact
from supportbot.safety.policy import redactable
from supportbot.safety.screening import deployment_actions
from supportbot.safety.verdict import Action, Category

_PLACEHOLDER = re.compile("|".join(re.escape(p) for p in PLACEHOLDERS.values()))


@dataclass(frozen=True, slots=True)
class Redaction:
    original: str
    text: str  # ``original`` with personal data replaced ("[EMAIL]"...); equal when none
    hidden: tuple[tuple[str, str], ...] = ()  # (placeholder, value it replaced), in order

    @property
    def stored(self) -> str:
        """What a ``redacted_text`` column holds: empty when nothing was hidden."""
        return self.text if self.text != self.original else ""

    def restore(self, written: str) -> str | None:
        """``written`` (e.g. a translation of ``self.text``) with the hidden values back in
        place of its placeholders, in order for each kind. None when its placeholders are not
        exactly those of ``self.text``: a value would be lost or put in the wrong place."""
        if sorted(_PLACEHOLDER.findall(written)) != sorted(p for p, _ in self.hidden):
            return None
        values: dict[str, list[str]] = {}
        for placeholder, value in self.hidden:
            values.setdefault(placeholder, []).append(value)
        return _PLACEHOLDER.sub(lambda m: values[m.group(0)].pop(0), written)


def hide_personal_data(
    text: str, *, language: str | None = None, actions: Mapping[Category, Action] | None = None
) -> Redaction:
    """``text`` with the personal data the deployment does not allow replaced, as the input
    filter does for customers' messages."""
    actions = actions if actions is not None else deployment_actions()
    spans = sorted(redactable(find_pii(text, language=language), actions), key=lambda s: s.start)
    if not spans:
        return Redaction(text, text)
    hidden = tuple((PLACEHOLDERS[s.category], text[s.start : s.end]) for s in spans)
    return Redaction(text, redact(text, spans), hidden)
