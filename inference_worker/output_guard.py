"""The streaming output guard: generated text is held back until it has been checked.

Text accumulates until a checkpoint (the end of a sentence, or ``window_chars`` characters
for text that does not end one soon, such as scripts written without spaces), then the
whole reply so far is checked and, if safe, the new part is released. Once a check fails
nothing more is released: the caller aborts the generation, retracts what the customer saw
and replaces the reply. The check itself is supplied by the caller (the web app's safety
filter), so this module knows nothing about categories.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# Sentence ends across the scripts we serve: Latin/Cyrillic punctuation followed by space or
# the end, CJK full stops, Arabic and Devanagari marks, and line breaks.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\u0e00-\u0e7f]")
_URL_START = re.compile(r"(?<![A-Za-z0-9])(?:https?:|www\.|h?ttps?$|https?:/*$)", re.I)
_CHECKPOINT = re.compile(r"[.!?;:…](?=\s)|[。！？；]|[؟۔।॥]|\n")


@dataclass(frozen=True, slots=True)
class GuardDecision:
    allow: bool
    reason: str = ""  # why it was blocked, for the log and the escalation
    categories: tuple[str, ...] = ()
    # What kind of check stopped it: "safety" (harmful output: a safe reply and a person),
    # or a quality check ("ungrounded", "wrong_language": the reply is replaced).
    kind: str = "safety"


ALLOW = GuardDecision(True)

# check(text_so_far) -> decision; text_so_far is everything generated up to the checkpoint.
Checker = Callable[[str], GuardDecision]


class StreamGuard:
    def __init__(
        self, check: Checker, *, window_chars: int = 64, first_window_chars: int = 24
    ) -> None:
        self.check = check
        self.window_chars = window_chars
        # The first release waits for less: it is what the customer's time to first token
        # is made of, and every later check still covers the whole reply so far.
        self.first_window_chars = first_window_chars
        self.released = ""  # checked and passed on
        self.pending = ""  # generated, not yet checked
        self.blocked: GuardDecision | None = None

    def feed(self, text: str) -> str:
        """Add generated text; return the part that is now checked and may be shown."""
        if self.blocked is not None:
            return ""
        self.pending += text
        cut = self._checkpoint()
        if cut is None:
            return ""
        return self._check_through(cut)

    def finish(self) -> str:
        """The generation ended: check and release whatever is still held back."""
        if self.blocked is not None or not self.pending:
            return ""
        return self._check_through(len(self.pending))

    def _checkpoint(self) -> int | None:
        last = None
        for match in _CHECKPOINT.finditer(self.pending):
            last = match.end()
        if last is not None:
            return last
        window = self.window_chars if self.released else self.first_window_chars
        # A character of a script written without spaces carries about a word's meaning.
        weight = len(self.pending) + 2 * len(_UNSPACED.findall(self.pending))
        if weight < window:
            return None
        # Cut after the last space, so a link or a number is never checked half-written;
        # scripts without spaces are cut where the window ends.
        space = max(self.pending.rfind(" "), self.pending.rfind("\t"))
        cut = space + 1 if space > 0 else len(self.pending)
        # A link still being written (no space after it yet) waits whole for the next cut.
        for match in _URL_START.finditer(self.pending):
            if match.start() < cut and not any(c.isspace() for c in self.pending[match.start() :]):
                cut = match.start()
        return cut or None

    def _check_through(self, cut: int) -> str:
        candidate = self.released + self.pending[:cut]
        try:
            decision = self.check(candidate)
        except Exception as exc:
            # Unchecked text must not be shown: a failing check stops the reply like a block.
            decision = GuardDecision(False, reason=f"guard_error: {type(exc).__name__}")
        if not decision.allow:
            self.blocked = decision
            return ""
        piece = self.pending[:cut]
        self.released = candidate
        self.pending = self.pending[cut:]
        return piece
