"""Is a reply supported by its sources? The facts a customer acts on must be in them.

Checked facts are numbers in all their spellings: amounts, prices, durations, times, counts,
percentages ("9,90 €", "3 à 5 jours", "14 Uhr", "2-year", "３〜５日"), and named options a
customer acts on: payment methods, carriers, pick-up services (``data/named_options.txt``:
"we accept Klarna", "we ship with DHL"). A number or a name in the reply that appears neither
in the cited passages nor in what the customer wrote is unsupported, and so is the reply.
Whether a yes or a no matches the policy is not checked here (see docs/knowledge-base.md).
Pure functions, no Django: the serving side calls ``unsupported_facts`` on every checkpoint
of a streaming reply (``inference_worker.output_guard``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

NAMED_OPTIONS_FILE = Path(__file__).parent / "data" / "named_options.txt"

# Digits in any script (NFKC folds full-width ones), with a decimal part after "." or ",".
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
# Number words a small model writes instead of digits, where a source would use digits.
_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7",
    "eight": "8", "nine": "9", "ten": "10", "fourteen": "14", "thirty": "30",
}  # fmt: skip


def _normalise(number: str) -> str:
    """ "9,90" and "9.90" and "9.9" are one amount; "030" is 30."""
    value = number.replace(",", ".")
    if "." in value:
        whole, _, frac = value.partition(".")
        frac = frac.rstrip("0")
        return f"{int(whole or '0')}.{frac}" if frac else str(int(whole or "0"))
    return str(int(value))


def numbers(text: str) -> set[str]:
    """Every number in ``text``, normalised (see ``_normalise``)."""
    folded = unicodedata.normalize("NFKC", text)
    found = {_normalise(match) for match in _NUMBER.findall(folded)}
    for word in re.findall(r"[a-z]+", folded.casefold()):
        if word in _WORDS:
            found.add(_WORDS[word])
    return found


@cache
def _named_options() -> re.Pattern:
    names = [
        line.strip().casefold()
        for line in NAMED_OPTIONS_FILE.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    # Longest first, so "google pay" is one name, not "google" and "pay"; a space in a name
    # also matches a hyphen or no space ("Apple-Pay", "ApplePay").
    alternatives = sorted((re.escape(n).replace(r"\ ", r"[\s-]?") for n in names), key=len)
    return re.compile(r"(?<!\w)(?:" + "|".join(reversed(alternatives)) + r")(?!\w)")


def named_options(text: str) -> set[str]:
    """The named options (``data/named_options.txt``) that ``text`` mentions, folded."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return {re.sub(r"[\s-]", "", match) for match in _named_options().findall(folded)}


@dataclass(frozen=True, slots=True)
class SupportedFacts:
    """What a reply may state: the numbers and named options of its sources."""

    numbers: frozenset[str]
    names: frozenset[str]


def supported_facts(sources: Iterable[str]) -> SupportedFacts:
    """Read once per reply; ``unsupported_in`` then checks each checkpoint against it."""
    allowed: set[str] = set()
    names: set[str] = set()
    for source in sources:
        allowed |= numbers(source)
        names |= named_options(source)
    # Whole amounts are written "10 €" in one language and "10,00 €" in another.
    allowed |= {n.split(".")[0] for n in allowed if n.endswith(".0")}
    return SupportedFacts(frozenset(allowed), frozenset(names))


def unsupported_in(reply: str, supported: SupportedFacts) -> list[str]:
    """The numbers in ``reply`` its sources lack, in order of size, then the named options."""
    missing = sorted(numbers(reply) - supported.numbers, key=lambda n: float(n))
    return missing + sorted(named_options(reply) - supported.names)


def unsupported_facts(reply: str, sources: Iterable[str]) -> list[str]:
    """The numbers in ``reply`` that none of ``sources`` contains, in order of size, then the
    named options none of them names."""
    return unsupported_in(reply, supported_facts(sources))
