"""Phone numbers: a cheap shape scan, then ``phonenumbers`` validation for the likely regions.

Why not ``phonenumbers.PhoneNumberMatcher`` (or presidio's ``PhoneRecognizer``, which wraps it):
the matcher re-scans the whole text once per region (for an 86-character chat line: 1.4 ms
for the five English regions, 8 ms for all 29 regions of an unknown language), while the shape
scan below finds the few digit groups once and ``phonenumbers.parse`` checks only those
(about 0.04 ms per region). Presidio's recognizer (default regions, leniency VALID) measured
precision 0.73 / recall 0.59 on presidio's own synthetic set, flagging card numbers and SSNs
as phones and missing local numbers (bench/safety_eval_pii.py --presidio).

Acceptance, from strongest to weakest evidence:
- valid for one of the language's regions (or international with ``+``/``00``) and written
  with separators: a phone unless an order/amount/code word is the nearest cue;
- any phone-shaped run of 7-15 digits with a phone word as the nearest cue ("call me on 450 0840",
  "Tel.: 0123 4567"), since short local numbers are valid nowhere without their area code;
- bare digit runs, amounts written with thousands separators, SSN-shaped numbers and short
  numbers without a trunk prefix ("704 1436") need that phone word even when valid for some
  region: they are more often order numbers, prices, ids or house numbers.
Dates ("12.03.2024", "2024-05-01"), year lists and digit lists are never phones.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException

from .pii_context import PHONE_CUES, PHONE_CUES_RIGHT, is_amount, nearest_cue

LANGUAGE_REGIONS: dict[str, tuple[str, ...]] = {
    "en": ("US", "GB", "IN", "AU", "CA"),
    "de": ("DE", "AT", "CH"),
    "fr": ("FR", "BE", "CH", "CA"),
    "es": ("ES", "MX", "AR", "CO"),
    "pt": ("BR", "PT"),
    "it": ("IT", "CH"),
    "nl": ("NL", "BE"),
    "zh": ("CN", "TW", "HK"),
    "ja": ("JP",),
    "ko": ("KR",),
    "ar": ("SA", "AE", "EG"),
    "hi": ("IN",),
    "ru": ("RU",),
    "vi": ("VN",),
    "th": ("TH",),
}
# Unknown language: every region above, English first (short-circuits on the first valid one).
ALL_REGIONS = tuple(dict.fromkeys(r for regions in LANGUAGE_REGIONS.values() for r in regions))

_SPACE = r"[ \u00a0]"
_SEP = rf"(?:{_SPACE}?[-./–]{_SPACE}?|{_SPACE})"
_GROUP = rf"(?:\(\d{{1,5}}\){_SPACE}?)?\d{{1,15}}"
_PHONE = re.compile(
    rf"(?<![A-Za-z0-9_@+./\-])(?<!\d[,:])"
    rf"(?P<num>(?:\+{_SPACE}?|00{_SPACE}?)?(?:\(\+?\d{{1,5}}\){_SPACE}?)?\d{{1,15}}"
    rf"(?:{_SEP}{_GROUP})*)"
    rf"(?:{_SPACE}?(?:x|ext\.?|доб\.?){_SPACE}?\d{{1,6}})?"
    rf"(?![A-Za-z0-9_@])(?![.,:/\-]\d)"
)
_GROUPS = re.compile(r"\d+")
_SEPARATORS = re.compile(r"[^\d]+")
_SSN_SHAPE = re.compile(r"\d{3}-\d{2}-\d{4}")

SCORE_CUE_VALID = 0.95
SCORE_INTERNATIONAL = 0.85
SCORE_VALID = 0.8
SCORE_CUE = 0.7
SCORE_POSSIBLE_INTERNATIONAL = 0.7


def load_metadata() -> None:
    """Load every known region's phone metadata now (phonenumbers loads it on first use)."""
    for region in ALL_REGIONS:
        phonenumbers.PhoneMetadata.metadata_for_region(region)


def regions_for(language: str | None, region: str | None = None) -> tuple[str, ...]:
    """Candidate regions: ``region`` first, then the language's ("pt-BR" also gives BR)."""
    out: list[str] = [region.upper()] if region else []
    if language:
        base, _, suffix = language.replace("_", "-").partition("-")
        if len(suffix) == 2 and suffix.isalpha():
            out.append(suffix.upper())
        out.extend(LANGUAGE_REGIONS.get(base.lower(), ALL_REGIONS))
    else:
        out.extend(ALL_REGIONS)
    return tuple(dict.fromkeys(out))


def _is_date(num: str) -> bool:
    groups = _GROUPS.findall(num)
    seps = _SEPARATORS.findall(num.strip("+()"))
    if len(groups) != 3 or len(set(seps)) != 1:
        return False
    a, b, c = (int(g) for g in groups)
    la, lc = len(groups[0]), len(groups[2])
    if la == 4:  # year first: 2024-05-01
        return 1900 <= a <= 2099 and 1 <= b <= 12 and 1 <= c <= 31
    if lc in (2, 4) and (lc == 2 or 1900 <= c <= 2099):  # 01.05.2024 or 5/1/24
        return (1 <= a <= 31 and 1 <= b <= 12) or (1 <= a <= 12 and 1 <= b <= 31)
    return False


def _is_thousands(num: str) -> bool:
    """1 234 567 or 12.345.678: how amounts and counts are written, also some phones."""
    groups = _GROUPS.findall(num)
    seps = set(_SEPARATORS.findall(num))
    return (
        len(groups) >= 3
        and len(seps) == 1
        and seps <= {" ", ".", "\u00a0"}
        and len(groups[0]) <= 3
        and all(len(g) == 3 for g in groups[1:])
    )


def _is_counting(num: str, international: bool) -> bool:
    """Lists rather than numbers: years ("2020 2021") or single digits ("1 2 3 4 5 6 7")."""
    groups = _GROUPS.findall(num.replace("(0)", ""))
    if len(groups) >= 2 and all(len(g) == 4 and 1900 <= int(g) <= 2099 for g in groups):
        return True
    # A trunk prefix ("8 (912) 345-67-89") or, after a country code, an area code ("+33 1 ..",
    # "+46 8 ..") may be one digit; no later group is.
    return any(len(g) == 1 for g in groups[1 + international :])


@lru_cache(maxsize=4096)
def _validity(num: str, regions: tuple[str, ...]) -> str | None:
    """ "valid", "possible" (international only) or None."""
    if num.startswith("00"):
        num = "+" + num[2:]
    if num.lstrip("(").startswith("+"):
        try:
            parsed = phonenumbers.parse(num, None)
        except NumberParseException:
            return None
        if phonenumbers.is_valid_number(parsed):
            return "valid"
        return "possible" if phonenumbers.is_possible_number(parsed) else None
    for region in regions:
        try:
            parsed = phonenumbers.parse(num, region)
        except NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return "valid"
    return None


def find_phones(text: str, regions: tuple[str, ...]) -> list[tuple[int, int, float]]:
    """(start, end, score) of phone numbers in ``text``."""
    found = []
    for m in _PHONE.finditer(text):
        num = m.group("num")
        digits = sum(c.isdigit() for c in num)
        international = num.lstrip("(").startswith(("+", "00"))
        if not 7 <= digits <= 15 or (international and digits < 8):
            continue
        start, end = m.start(), m.end()
        if _is_date(num) or _is_counting(num, international) or is_amount(text, start, end):
            continue
        cue = nearest_cue(text, start, end, PHONE_CUES, positive_right=PHONE_CUES_RIGHT)
        if cue == "neg":
            continue
        validity = _validity(num, regions)
        formatted = international or not num.isdigit()
        if cue == "pos":
            score = SCORE_CUE_VALID if validity == "valid" else SCORE_CUE
        elif not formatted or _is_thousands(num) or _SSN_SHAPE.fullmatch(num):
            continue  # ambiguous shapes need a phone word
        elif not international and digits < 9 and not num.lstrip("(").startswith("0"):
            # Without trunk prefix and under 9 digits it is a local number (valid nowhere on
            # its own) or a house number and street number, quantity, code: needs a phone word.
            continue
        elif validity == "valid":
            score = SCORE_INTERNATIONAL if international else SCORE_VALID
        elif validity == "possible":
            score = SCORE_POSSIBLE_INTERNATIONAL
        else:
            continue
        found.append((start, end, score))
    return found
