"""Is a reply supported by its sources? The facts a customer acts on must be in them.

Checked facts are numbers in all their spellings: amounts, prices, durations, times, counts,
percentages ("9,90 €", "3 à 5 jours", "14 Uhr", "2-year", "３〜５日"). A number in the reply
that appears neither in the cited passages nor in what the customer wrote is unsupported, and
so is the reply. Pure functions, no Django: the serving side calls ``unsupported_facts`` on
every checkpoint of a streaming reply (``inference_worker.output_guard``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

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


def unsupported_facts(reply: str, sources: Iterable[str]) -> list[str]:
    """The numbers in ``reply`` that none of ``sources`` contains, in order of size."""
    allowed: set[str] = set()
    for source in sources:
        allowed |= numbers(source)
    # Whole amounts are written "10 €" in one language and "10,00 €" in another.
    allowed |= {n.split(".")[0] for n in allowed if n.endswith(".0")}
    return sorted(numbers(reply) - allowed, key=lambda n: float(n))
