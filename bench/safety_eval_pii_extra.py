"""Checks of the PII detector beyond presidio's synthetic set (used by safety_eval_pii.py).

* ``support_queries``: real customer text with (almost) no personal data, as a false-positive
  measure: banking77 test queries and all clinc150 queries (amounts, dates, times, account
  endings), plus the customer turns of the ABCD sample dialogues, whose scenario lists the
  customer's email, phone and order id (ids must not be flagged, email and phone must).
* ``phone_formats``: ``phonenumbers``' example mobile and fixed-line number of every region the
  detector knows, in national and international format, once after a phone word in the
  region's language and once alone, scored for recall.
* ``number_traps``: generated dates, times, amounts, versions and cued order numbers in
  many formats and languages, scored for false positives.
"""

from __future__ import annotations

import csv
import json
import random
from collections import Counter
from pathlib import Path

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

from supportbot.safety.pii import find_pii
from supportbot.safety.pii_phone import LANGUAGE_REGIONS
from supportbot.safety.verdict import Category

CALL_TEMPLATES = {
    "en": "Please call me at {}.",
    "de": "Rufen Sie mich unter {} an.",
    "fr": "Appelez-moi au {}.",
    "es": "Llámame al {}.",
    "pt": "Me liga no celular {}.",
    "it": "Chiamami al {}.",
    "nl": "Bel me op mijn telefoon {}.",
    "zh": "请打我的电话{}。",
    "ja": "電話番号は{}です。",
    "ko": "제 전화번호는 {}입니다.",
    "ar": "رقم هاتفي {} شكرا",
    "hi": "मेरा फ़ोन नंबर {} है",
    "ru": "Позвоните мне по телефону {}.",
    "vi": "Gọi cho tôi theo số {}.",
    "th": "โทรหาฉันที่ {} ค่ะ",
}


def _flags(text: str, language: str | None) -> list[tuple[str, str]]:
    return [(str(s.category), text[s.start : s.end]) for s in find_pii(text, language=language)]


def support_queries(data: Path) -> dict:
    support = data / "support"
    with open(support / "banking77_test.csv", encoding="utf-8") as f:
        texts = [row["text"] for row in csv.DictReader(f)]
    clinc = json.loads((support / "clinc150_data_full.json").read_text(encoding="utf-8"))
    texts += [text for split in clinc.values() for text, _ in split]
    flagged = [(c, v, t) for t in texts for c, v in _flags(t, "en")]

    expected = found = ids_flagged = 0
    for convo in json.loads((support / "abcd_sample.json").read_text(encoding="utf-8")):
        personal = convo["scenario"]["personal"]
        order_id = convo["scenario"]["order"].get("order_id", "")
        for who, turn in convo["original"]:
            if who != "customer":
                continue
            hits = _flags(turn, "en")
            for key in ("email", "phone"):
                if personal.get(key) and personal[key] in turn:
                    expected += 1
                    found += any(v == personal[key] for _, v in hits)
            if order_id and order_id in turn:
                ids_flagged += any(order_id in v for _, v in hits)
    return {
        "queries": len(texts),
        "queries_with_7_digits": sum(sum(c.isdigit() for c in t) >= 7 for t in texts),
        "flagged": len(flagged),
        "flagged_examples": [f"{c}: {v!r} in {t[:80]!r}" for c, v, t in flagged[:20]],
        "abcd_email_phone_found": f"{found}/{expected}",
        "abcd_order_ids_flagged": ids_flagged,
    }


def phone_formats() -> dict:
    per_case: Counter = Counter()
    total: Counter = Counter()
    misses = []
    for language, regions in LANGUAGE_REGIONS.items():
        for region in regions:
            for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
                example = phonenumbers.example_number_for_type(region, kind)
                if example is None:
                    continue
                for fmt_name, fmt in (
                    ("national", PhoneNumberFormat.NATIONAL),
                    ("international", PhoneNumberFormat.INTERNATIONAL),
                ):
                    number = phonenumbers.format_number(example, fmt)
                    for cue_name, template in (("cue", CALL_TEMPLATES[language]), ("alone", "{}")):
                        text = template.format(number)
                        case = f"{fmt_name}, {cue_name}"
                        total[case] += 1
                        hit = (str(Category.PII_PHONE), number) in _flags(text, language)
                        per_case[case] += hit
                        if not hit and len(misses) < 30:
                            misses.append(f"{language}/{region} {case}: {number!r}")
    return {
        "recall": {case: round(per_case[case] / n, 4) for case, n in total.items()},
        "counts": {case: f"{per_case[case]}/{n}" for case, n in total.items()},
        "misses": misses,
    }


def _traps(rng: random.Random) -> list[tuple[str, str]]:
    out = []
    for _ in range(40):
        y, m, d = rng.randint(1950, 2030), rng.randint(1, 12), rng.randint(1, 28)
        hh, mm, ss = rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59)
        for form in (
            f"{d:02d}.{m:02d}.{y}",
            f"{d}/{m}/{y}",
            f"{m:02d}/{d:02d}/{y % 100:02d}",
            f"{y}-{m:02d}-{d:02d} {hh:02d}:{mm:02d}:{ss:02d}",
            f"{y}/{m:02d}/{d:02d}",
            f"{d:02d}-{m:02d}-{y} {hh}:{mm:02d}",
            f"{y}年{m}月{d}日 {hh}:{mm:02d}",
        ):
            out.append(("date", f"It was delivered on {form}, thanks"))
        n = rng.randint(1_000_000, 999_999_999)
        cents = rng.randint(0, 99)
        for form in (
            f"${n:,}.{cents:02d}",
            f"{n:,}".replace(",", ".") + f",{cents:02d} €",
            f"{n:,}".replace(",", " ") + " ₽",
            f"{n:,} VND",
            f"¥{n:,}",
            f"{n:,}원",
            f"₹ {n:,}",
            f"{n} EUR",
        ):
            out.append(("amount", f"I was charged {form} yesterday"))
        a, b, c, e = (rng.randint(0, 20) for _ in range(4))
        out.append(("version", f"After updating to version {a}.{b}.{c}.{e} it crashes"))
        out.append(("version", f"App v{a}.{b}.{c} build {rng.randint(1000, 99999)}"))
        order = str(rng.randint(10**5, 10**14))
        for form in (
            f"Order #{order} has not arrived",
            f"My order number is {order}",
            f"Tracking number {order[:4]} {order[4:8]} {order[8:]}",
            f"Meine Bestellnummer ist {order}",
            f"Ma commande n° {order} est en retard",
            f"Mi pedido {order} no ha llegado",
            f"订单号{order}还没到",
            f"注文番号{order}が届きません",
            f"주문번호 {order} 배송이 안 왔어요",
            f"Номер заказа {order}",
            f"Mã đơn hàng {order}",
            f"SKU {order}, invoice INV-{order[:6]}",
        ):
            out.append(("order", form))
    return out


def number_traps(seed: int = 7) -> dict:
    flagged: Counter = Counter()
    total: Counter = Counter()
    examples = []
    for kind, text in _traps(random.Random(seed)):
        total[kind] += 1
        hits = _flags(text, None)
        if hits:
            flagged[kind] += 1
            if len(examples) < 20:
                examples.append(f"{kind}: {hits} in {text!r}")
    return {
        "flagged": {kind: f"{flagged[kind]}/{n}" for kind, n in total.items()},
        "examples": examples,
    }
