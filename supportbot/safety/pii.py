"""Personal data in chat text: find it (``find_pii``) and replace it with placeholders (``redact``).

Pure functions, no Django. Every detector checks more than a shape: cards pass Luhn and a known
issuer prefix with its lengths (or follow the word "card"), IBANs the ISO 13616 checksum and their
country's length, IP addresses the ``ipaddress`` parser, phones ``phonenumbers`` or a nearby
phone word (pii_phone.py), national ids their checksums (pii_ids.py). Numbers whose nearest cue
is an order, tracking, amount or product word are left alone (pii_context.py).

Own detectors rather than presidio-analyzer's recognizers (called directly, no spaCy model),
measured on presidio's synthetic set (bench/safety_eval_pii.py --presidio) and on the
multilingual cases of tests/safety/test_pii.py:
- presidio's card and IP patterns use ``\\b``, which does not exist between CJK text and a
  number ("卡号4111111111111111", "IP是192.168.1.10", "カード番号は5555-..."): missed;
- its CreditCardRecognizer lacks 2-series Mastercard, 15-digit JCB and 12-digit Maestro
  prefixes: recall 0.77 on the synthetic set (1.00 here);
- its PhoneRecognizer: precision 0.73, recall 0.59 there (see pii_phone.py), and it flagged 5
  of the 21 order/amount/date traps of the tests (none here);
- its EmailRecognizer (precision and recall 1.00 there, as here) validates through
  ``tldextract``, which tries to download the public suffix list on first use: a network call
  and an error log on an offline server;
- its IbanRecognizer misses lower-case and irregularly spaced IBANs (recall 0.95 there); its
  UsSsnRecognizer scores any 9-digit run (0.05, an order number) and its IpRecognizer takes
  "version 1.2.3.4" for an address, though both scored 1.00 there;
- its national-id recognizers (ES, IT, IN, KR, TH, ...) agree with pii_ids.py on clean input,
  but lack the countries most asked for here (CPF, China, France, Netherlands, Russia, Japan),
  the dashed Thai format, and any notion of an order-number context.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

from .pii_context import CARD_CUES, IDENTIFIER_CUES, nearest_cue
from .pii_ids import find_national_ids
from .pii_phone import find_phones, load_metadata, regions_for
from .verdict import Category, Span

PLACEHOLDERS: dict[Category, str] = {
    Category.PII_EMAIL: "[EMAIL]",
    Category.PII_PHONE: "[PHONE]",
    Category.PII_CARD: "[CARD]",
    Category.PII_IBAN: "[IBAN]",
    Category.PII_IP: "[IP]",
    Category.PII_NATIONAL_ID: "[ID]",
}

# ASCII local part and domain: a Unicode class would swallow the CJK word glued in front
# ("邮箱是wang@example.cn"). The TLD is letters (or punycode), so "a@b.c1" is not an address.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+\-'])[A-Za-z0-9_%+\-](?:[A-Za-z0-9._%+\-']{0,63})"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+(?:[A-Za-z]{2,24}|xn--[A-Za-z0-9\-]{2,59})"
    r"(?![A-Za-z0-9\-])"
)

_CARD_RUN = re.compile(r"(?<![A-Za-z0-9_+\-./])(?<!\d,)\d(?:[ \-]?\d)+(?![A-Za-z0-9_]|[.,/\-]\d)")
# Issuer prefixes (ISO/IEC 7812 IINs) with the lengths that issuer uses; checked longest first.
_CARD_IINS: list[tuple[tuple[int, int], tuple[int, ...]]] = [
    ((4, 4), (13, 16, 19)),  # Visa
    ((51, 55), (16,)),  # Mastercard
    ((2221, 2720), (16,)),  # Mastercard 2-series
    ((2200, 2204), (16, 17, 18, 19)),  # Mir
    ((34, 34), (15,)),  # American Express
    ((37, 37), (15,)),
    ((300, 305), (14, 15, 16, 17, 18, 19)),  # Diners Club
    ((36, 36), (14, 15, 16, 17, 18, 19)),
    ((38, 39), (14, 15, 16, 17, 18, 19)),
    ((3528, 3589), (16, 17, 18, 19)),  # JCB
    ((2131, 2131), (15,)),  # JCB, 15-digit ranges
    ((1800, 1800), (15,)),
    ((6011, 6011), (16, 17, 18, 19)),  # Discover
    ((644, 649), (16, 17, 18, 19)),
    ((65, 65), (16, 17, 18, 19)),  # Discover, RuPay, Troy
    ((62, 62), (16, 17, 18, 19)),  # UnionPay
    ((81, 82), (16, 17, 18, 19)),  # UnionPay, RuPay
    ((60, 60), (16, 17, 18, 19)),  # RuPay
    ((50, 50), tuple(range(12, 20))),  # Maestro (12 to 19 digits)
    ((56, 69), tuple(range(12, 20))),
]

_IBAN_START = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z]{2}|[a-z]{2})\d{2}(?=[ \-]?[A-Za-z0-9])")
# ISO 13616 registry: country code -> IBAN length.
_IBAN_LENGTHS = {
    cc: int(n)
    for cc, n in re.findall(
        r"([A-Z]{2})(\d{2})",
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 "
        "DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 "
        "HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 "
        "MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 PS29 PT25 QA29 "
        "RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 UA29 "
        "VA22 VG24 XK20 YE30",
    )
}

_IPV4 = re.compile(r"(?<![A-Za-z0-9_.\-])(?:\d{1,3}\.){3}\d{1,3}(?![A-Za-z0-9_]|\.\d)")
_IPV6 = re.compile(
    r"(?<![A-Za-z0-9_:.])(?:[0-9A-Fa-f]{0,4}:){2,7}(?:[0-9A-Fa-f]{1,4}|(?:\d{1,3}\.){3}\d{1,3})?"
    r"(?![A-Za-z0-9_:]|\.\d)"
)
_IP_CUES = re.compile(r"\bip\b|address|server|host|dns|gateway|router|地址|アドレス|주소", re.I)
_VERSION = re.compile(
    r"(?:\bv|\bver\.?|version|versión|versão|versione|build|release|firmware|версия|"
    r"phiên bản|版本|バージョン|버전|เวอร์ชัน)\s*[:#]?\s*$",
    re.IGNORECASE,
)

# Full-width forms (Japanese and Chinese input methods) and Arabic-Indic, Persian,
# Devanagari and Thai digits, mapped one character to one so offsets stay those of the text.
_ASCII_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
for _zero in (0x0660, 0x06F0, 0x0966, 0x0E50):
    _ASCII_FOLD |= {_zero + d: 0x30 + d for d in range(10)}

SCORE_EMAIL = 0.95
SCORE_IBAN = 0.95
SCORE_CARD = 0.9
SCORE_CARD_CUE = 0.95
SCORE_CARD_SHORT = 0.75  # 14-15 digits: more room for a Luhn-valid order or tracking number
SCORE_IP = 0.85


def luhn_ok(digits: str) -> bool:
    """The Luhn (mod 10) check every payment card number carries in its last digit."""
    total = 0
    for i, c in enumerate(reversed(digits)):
        x = int(c) * (2 if i % 2 else 1)
        total += x - 9 if x > 9 else x
    return total % 10 == 0


def _card_issuer_ok(digits: str) -> bool:
    for (low, high), lengths in _CARD_IINS:
        prefix = int(digits[: len(str(low))])
        if low <= prefix <= high:
            return len(digits) in lengths
    return False


def _card_grouping_ok(run: str) -> bool:
    """Cards are printed 4-4-4-4, 4-6-5 or 4-4-4-4-3; digits in pairs are phones or dates."""
    groups = re.split(r"[ \-]", run)
    if len(groups) == 1:
        return True
    return len(groups[0]) == 4 and all(4 <= len(g) <= 6 for g in groups[1:-1])


def _find_cards(text: str) -> list[tuple[int, int, float]]:
    found = []
    for m in _CARD_RUN.finditer(text):
        run = m.group(0)
        # A run longer than a card may be a card followed by a count, or a longer number.
        options = [(0, len(run))]
        cuts = [i for i, c in enumerate(run) if not c.isdigit()]
        if cuts:
            options += [(0, cuts[-1]), (cuts[0] + 1, len(run))]
        for a, b in options:
            digits = re.sub(r"\D", "", run[a:b])
            if not (12 <= len(digits) <= 19 and _card_grouping_ok(run[a:b]) and luhn_ok(digits)):
                continue
            start, end = m.start() + a, m.start() + b
            cue = nearest_cue(text, start, end, CARD_CUES, negative=IDENTIFIER_CUES)
            if cue == "neg":
                break
            if cue == "pos":
                score = SCORE_CARD_CUE  # issuer ranges change; "card" + Luhn is enough
            elif _card_issuer_ok(digits) and len(digits) >= 14:
                score = SCORE_CARD if len(digits) >= 16 else SCORE_CARD_SHORT
            else:
                # 12 and 13 digits (Maestro, old Visa) are also the barcode lengths (UPC-A,
                # EAN-13), which pass Luhn one time in ten: those need the word "card".
                continue
            found.append((start, end, score))
            break
    return found


def iban_ok(compact: str) -> bool:
    """ISO 13616: the country's length, and mod 97 of the rearranged number is 1."""
    compact = compact.upper()
    if _IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[4:].isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _find_ibans(text: str) -> list[tuple[int, int, float]]:
    found = []
    for m in _IBAN_START.finditer(text):
        length = _IBAN_LENGTHS.get(m.group(0)[:2].upper())
        if length is None:
            continue
        # Take characters until the country's length, allowing one space or dash between
        # them: "DE89 3704 0044 0532 0130 00" and "DE89370400440532013000 due today" alike.
        compact, i = [], m.start()
        while i < len(text) and len(compact) < length:
            c = text[i]
            if c.isascii() and c.isalnum():
                compact.append(c)
            elif not (c in " -" and compact and i + 1 < len(text) and text[i + 1].isalnum()):
                break
            i += 1
        if i < len(text) and text[i].isascii() and text[i].isalnum():
            continue  # glued to more letters or digits: not this IBAN
        if len(compact) == length and iban_ok("".join(compact)):
            found.append((m.start(), i, SCORE_IBAN))
    return found


def _find_ips(text: str) -> list[tuple[int, int, float]]:
    found: list[tuple[int, int, float]] = []
    if "." not in text and ":" not in text:
        return found
    for m in _IPV4.finditer(text):
        try:
            ip = ipaddress.IPv4Address(m.group(0))
        except ValueError:
            continue  # octet over 255 or a leading zero
        if ip.is_unspecified or ip.is_loopback or _VERSION.search(text[: m.start()][-20:]):
            continue
        if all(len(o) == 1 for o in m.group(0).split(".")) and not _IP_CUES.search(
            text[max(0, m.start() - 30) : m.start()]
        ):
            continue  # "section 3.2.1.4": single-digit octets need the word "IP" or similar
        found.append((m.start(), m.end(), SCORE_IP))
    for m in _IPV6.finditer(text):
        candidate = m.group(0)
        groups = [g for g in candidate.split(":") if g]
        if len(groups) < 2 or max(len(g) for g in groups) < 3:
            continue  # "ab::cd" is more likely code than an address
        if "::" not in candidate and candidate.count(":") != 7:
            continue
        try:
            ip = ipaddress.IPv6Address(candidate)
        except ValueError:
            continue  # times (10:30:00), MAC addresses (six groups)
        if not (ip.is_unspecified or ip.is_loopback):
            found.append((m.start(), m.end(), SCORE_IP))
    return found


def _find_emails(text: str) -> list[tuple[int, int, float]]:
    if "@" not in text:
        return []
    return [(m.start(), m.end(), SCORE_EMAIL) for m in _EMAIL.finditer(text)]


def _resolve(spans: list[Span]) -> list[Span]:
    """Keep the strongest of overlapping spans (then the longest), in text order."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda s: (-s.score, s.start - s.end, s.start)):
        if all(span.end <= k.start or k.end <= span.start for k in kept):
            kept.append(span)
    return sorted(kept, key=lambda s: s.start)


def find_pii(text: str, *, language: str | None = None, region: str | None = None) -> list[Span]:
    """Non-overlapping spans of personal data in ``text``, in text order.

    ``language`` (an ISO 639-1 code, "pt-BR" style accepted) and ``region`` (ISO 3166 alpha-2)
    choose the regions whose national phone formats are tried; without them all known are.
    """
    text = text.translate(_ASCII_FOLD)
    spans = [Span(s, e, Category.PII_EMAIL, sc) for s, e, sc in _find_emails(text)]
    spans += [Span(s, e, Category.PII_IP, sc) for s, e, sc in _find_ips(text)]
    if sum(c.isdigit() for c in text) >= 7:  # cards, IBANs, ids and phones have seven or more
        for finder, category in (
            (_find_ibans, Category.PII_IBAN),
            (_find_cards, Category.PII_CARD),
            (find_national_ids, Category.PII_NATIONAL_ID),
        ):
            spans += [Span(s, e, category, sc) for s, e, sc in finder(text)]
        phones = find_phones(text, regions_for(language, region))
        spans += [Span(s, e, Category.PII_PHONE, sc) for s, e, sc in phones]
    return _resolve(spans)


def redact(text: str, spans: Iterable[Span]) -> str:
    """``text`` with each span replaced by its placeholder ("[EMAIL]", "[PHONE]", ...).

    Overlapping spans are resolved as in ``find_pii``; everything outside them is kept as is.
    """
    out, cursor = [], 0
    for span in _resolve(list(spans)):
        out.append(text[cursor : span.start])
        out.append(PLACEHOLDERS.get(span.category, "[REDACTED]"))
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


def warm_up() -> None:
    """Pay the one-time costs (phone metadata, about 10 ms) before the first message does."""
    load_metadata()
    find_pii("call +1 415 867 5309 or 030 12345678, a@b.co 10.0.0.1", language=None)
