"""What the detectors read in one customer message, computed before any database work."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Signals:
    """The escalation detectors' findings for one message."""

    wants_human: bool = False
    strongly_negative: bool = False


def read_signals(text: str) -> Signals:
    """Run every detector on ``text`` (CPU work: call it off the event loop and the DB thread)."""
    from supportbot.detectors.human_request import asks_for_human
    from supportbot.detectors.sentiment import strongly_negative

    return Signals(asks_for_human(text), strongly_negative(text))
