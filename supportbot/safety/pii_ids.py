"""National identity numbers whose format carries a checksum or hard structural rules.

Each kind is a digit-boundary regex (``\\b`` fails between CJK text and digits, so the lookarounds
name ASCII explicitly), a validator, and whether the shape alone is distinctive enough. Shapes
that collide with ordinary numbers (a bare 9-digit run passes the Dutch 11-test one time in
eleven) are only accepted when that kind's id word ("BSN", "CPF", ...) is the nearest cue.
Korean numbers issued since October 2020 no longer carry a check digit, so a dashed RRN with a
valid date but a failing checksum still counts when an id word is near.
"""

from __future__ import annotations

import datetime
import re
from collections import Counter
from collections.abc import Callable

from .pii_context import IDENTIFIER_CUES, id_cues, nearest_cue

SCORE_STRONG = 0.9
SCORE_SHAPED = 0.8
SCORE_CUE = 0.9

_L = r"(?<![A-Za-z0-9\-./])"  # not inside a longer number, code or decimal
_R = r"(?![A-Za-z0-9]|[-./]\d)"


def _digits(s: str) -> list[int]:
    return [int(c) for c in s if c.isdigit()]


def _ssn(m: re.Match[str]) -> str | None:
    area, group, serial = m.group(1), m.group(3), m.group(4)
    if area in ("000", "666") or group == "00" or serial == "0000":
        return None
    if len(set(area + group + serial)) == 1 or area + group + serial in ("123456789", "078051120"):
        return None
    if area[0] == "9":  # ITINs are taxpayer ids too; their group is in fixed ranges
        g = int(group)
        if not (50 <= g <= 65 or 70 <= g <= 88 or 90 <= g <= 92 or 94 <= g <= 99):
            return None
    return "shaped" if m.group(2) == "-" else "cue"


def _dni(m: re.Match[str]) -> str | None:
    raw = m.group(0).upper().replace("-", "").replace(" ", "")
    number = raw[:-1].replace("X", "0").replace("Y", "1").replace("Z", "2")
    return "strong" if "TRWAGMYFPDXBNJZSQVHLCKE"[int(number) % 23] == raw[-1] else None


# Codice fiscale check character: odd positions (1st, 3rd, ...) map through this table,
# indexed by the digit or by the letter's alphabet position (A=0); even positions count as is.
_CF_ODD = [
    1,
    0,
    5,
    7,
    9,
    13,
    15,
    17,
    19,
    21,
    2,
    4,
    18,
    20,
    11,
    3,
    6,
    8,
    12,
    14,
    16,
    10,
    22,
    25,
    24,
    23,
]


def _cf_value(c: str) -> int:
    return int(c) if c.isdigit() else ord(c) - 65


def _codice_fiscale(m: re.Match[str]) -> str | None:
    cf = m.group(0).upper()
    if not any(c.isdigit() for c in cf):
        return None  # full omocodia is vanishingly rare; 16-letter words are not
    total = sum(
        _CF_ODD[_cf_value(c)] if i % 2 == 0 else _cf_value(c) for i, c in enumerate(cf[:15])
    )
    return "strong" if chr(65 + total % 26) == cf[15] else None


def _cpf(m: re.Match[str]) -> str | None:
    d = _digits(m.group(0))
    if len(set(d)) == 1:
        return None
    for n in (9, 10):
        if sum(x * (n + 1 - i) for i, x in enumerate(d[:n])) * 10 % 11 % 10 != d[n]:
            return None
    return "strong" if m.group(2) == "." else "cue"


_RIC_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        datetime.date(year, month, day)
    except ValueError:
        return False
    return True


def _cn_ric(m: re.Match[str]) -> str | None:
    s = m.group(0).upper()
    if not _valid_date(int(s[6:10]), int(s[10:12]), int(s[12:14])):
        return None
    check = (12 - sum(int(c) * w for c, w in zip(s[:17], _RIC_WEIGHTS, strict=True)) % 11) % 11
    return "strong" if s[17] == ("X" if check == 10 else str(check)) else None


# Verhoeff: multiplication in the dihedral group D5 and the position permutation.
_V_D = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
]
_V_P = [list(range(10)), [1, 5, 7, 6, 2, 8, 3, 0, 9, 4]]
for _ in range(6):
    _V_P.append([_V_P[1][x] for x in _V_P[-1]])


def verhoeff_ok(digits: list[int]) -> bool:
    c = 0
    for i, x in enumerate(reversed(digits)):
        c = _V_D[c][_V_P[i % 8][x]]
    return c == 0


def _aadhaar(m: re.Match[str]) -> str | None:
    if not verhoeff_ok(_digits(m.group(0))):
        return None
    return "shaped" if m.group(2) else "cue"


def _kr_rrn(m: re.Match[str]) -> str | None:
    d = _digits(m.group(0))
    century = {1: 1900, 2: 1900, 5: 1900, 6: 1900, 3: 2000, 4: 2000, 7: 2000, 8: 2000}[d[6]]
    if not _valid_date(century + d[0] * 10 + d[1], d[2] * 10 + d[3], d[4] * 10 + d[5]):
        return None
    weights = [2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5]
    check_ok = (11 - sum(x * w for x, w in zip(d, weights, strict=False)) % 11) % 10 == d[12]
    check_ok = check_ok and d[7] * 10 + d[8] <= 96  # the birthplace code of pre-2020 numbers
    return "strong" if check_ok and m.group(4) else "cue"


def _bsn(m: re.Match[str]) -> str | None:
    d = _digits(m.group(0))
    total = sum(x * (9 - i) for i, x in enumerate(d[:8])) - d[8]
    return "cue" if total % 11 == 0 and total > 0 else None


def _fr_nir(m: re.Match[str]) -> str | None:
    raw = re.sub(r"\s", "", m.group(0)).upper()
    body = raw[:13].replace("2A", "19").replace("2B", "18")
    return "strong" if 97 - int(body) % 97 == int(raw[13:]) else None


def _de_idnr(m: re.Match[str]) -> str | None:
    d = _digits(m.group(0))
    counts = sorted(Counter(d[:10]).values(), reverse=True)
    # One digit appears twice (or three times, never three in a row), every other at most once.
    if counts[0] not in (2, 3) or (len(counts) > 1 and counts[1] != 1):
        return None
    if counts[0] == 3 and any(d[i] == d[i + 1] == d[i + 2] for i in range(8)):
        return None
    product = 10
    for x in d[:10]:
        s = (x + product) % 10 or 10
        product = 2 * s % 11
    if (11 - product) % 10 != d[10]:
        return None
    return "shaped" if m.group(2) else "cue"


def _th_id(m: re.Match[str]) -> str | None:
    d = _digits(m.group(0))
    if (11 - sum(x * (13 - i) for i, x in enumerate(d[:12])) % 11) % 10 != d[12]:
        return None
    return "shaped" if m.group(2) else "cue"


def _snils(m: re.Match[str]) -> str | None:
    d = _digits(m.group(0))
    if int("".join(map(str, d[:9]))) <= 1001998:  # the checksum only covers later numbers
        return None
    total = sum(x * (9 - i) for i, x in enumerate(d[:9]))
    check = total % 101 % 100
    if check != d[9] * 10 + d[10]:
        return None
    return "shaped" if m.group(2) else "cue"


def _jp_my_number(m: re.Match[str]) -> str | None:
    d = _digits(m.group(0))
    # n-th digit from the right (before the check digit) weighs n+1 up to 6, then n-5.
    total = sum(d[11 - n] * (n + 1 if n <= 6 else n - 5) for n in range(1, 12))
    check = 0 if total % 11 <= 1 else 11 - total % 11
    return "cue" if check == d[11] else None


_NIR_DEPT = r"(?:\d{2}|2[ABab])"
_KINDS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str | None], re.Pattern[str]]] = [
    (
        re.compile(rf"{_L}(\d{{3}})([- ]?)(\d{{2}})\2(\d{{4}}){_R}"),
        _ssn,
        id_cues(r"ssn|social\s+security|itin|tax\s*id|tin\b"),
    ),
    (
        re.compile(r"(?<![A-Za-z0-9])(?:[XYZ][- ]?\d{7}|\d{8})(?:[- ]?[A-Z]|[a-z])(?![A-Za-z0-9])"),
        _dni,
        id_cues(r"dni|nie\b|nif\b|documento|identidad"),
    ),
    (
        re.compile(
            r"(?<![A-Za-z0-9])[A-Z]{6}[0-9LMNPQRSTUV]{2}[ABCDEHLMPRST][0-9LMNPQRSTUV]{2}"
            r"[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?![A-Za-z0-9])",
            re.IGNORECASE,
        ),
        _codice_fiscale,
        id_cues(r"codice\s+fiscale|cf\b"),
    ),
    (re.compile(rf"{_L}(\d{{3}})(\.?)\d{{3}}\2\d{{3}}-?\d{{2}}{_R}"), _cpf, id_cues(r"cpf")),
    (
        re.compile(r"(?<![A-Za-z0-9])[1-9]\d{5}(?:18|19|20)\d{9}[\dXx](?![A-Za-z0-9])"),
        _cn_ric,
        id_cues(r"resident\s+id"),
    ),
    (
        re.compile(rf"{_L}([2-9]\d{{3}})([ -]?)\d{{4}}\2\d{{4}}{_R}"),
        _aadhaar,
        id_cues(r"aadhaa?r|uidai|uid\b", ("आधार",)),
    ),
    (
        re.compile(rf"{_L}(\d{{2}})(\d{{2}})(\d{{2}})(-?)[1-8]\d{{6}}{_R}"),
        _kr_rrn,
        id_cues(r"rrn|resident\s+registration", ("주민등록", "주민번호")),
    ),
    (
        re.compile(rf"{_L}(\d{{4}})([. ]?)\d{{2}}\2\d{{3}}{_R}"),
        _bsn,
        id_cues(r"bsn|burgerservicenummer|sofinummer"),
    ),
    (
        re.compile(
            rf"(?<![A-Za-z0-9])[1-478]( ?)\d{{2}}\1(?:0[1-9]|1[0-2]|[2-9]\d)\1{_NIR_DEPT}"
            rf"\1\d{{3}}\1\d{{3}} ?\d{{2}}(?![A-Za-z0-9])"
        ),
        _fr_nir,
        id_cues(r"s[ée]curit[ée]\s+sociale|s[ée]cu\b|nir\b|insee"),
    ),
    (
        re.compile(rf"{_L}([1-9]\d)( ?)\d{{3}}\2\d{{3}}\2\d{{3}}{_R}"),
        _de_idnr,
        id_cues(r"steuer|idnr|identifikationsnummer|tax\s*id"),
    ),
    (
        re.compile(rf"{_L}([1-8])(-?)\d{{4}}\2\d{{5}}\2\d{{2}}\2\d{_R}"),
        _th_id,
        id_cues(r"thai\s+id", ("เลขประจำตัว", "บัตรประชาชน")),
    ),
    (
        re.compile(rf"{_L}(\d{{3}})(-?)\d{{3}}\2\d{{3}}[ -]?\d{{2}}{_R}"),
        _snils,
        id_cues(r"снилс|snils"),
    ),
    (
        re.compile(rf"{_L}\d{{4}}([ -]?)\d{{4}}\1\d{{4}}{_R}"),
        _jp_my_number,
        id_cues(r"my\s*number", ("マイナンバー", "個人番号")),
    ),
]

_SCORES = {"strong": SCORE_STRONG, "shaped": SCORE_SHAPED}


def find_national_ids(text: str) -> list[tuple[int, int, float]]:
    """(start, end, score) of national identity numbers in ``text``."""
    found = []
    for pattern, validate, cues in _KINDS:
        for m in pattern.finditer(text):
            strength = validate(m)
            if strength is None:
                continue
            cue = nearest_cue(text, m.start(), m.end(), cues, negative=IDENTIFIER_CUES)
            if cue == "neg":
                continue
            if strength == "cue" and cue != "pos":
                continue
            score = SCORE_CUE if cue == "pos" else _SCORES[strength]
            found.append((m.start(), m.end(), score))
    return found
