"""Words around a number that say what it is: a phone, an id, or an order, amount or code.

Numbers alone are ambiguous (a 9-digit run can be a phone, an SSN or an order number), so the
detectors look at the nearest cue word on either side. Latin and Cyrillic cues are matched as
word prefixes; CJK, Thai, Devanagari and Arabic cues as substrings, because those scripts glue
words together (or attach prefixes such as Arabic "ال") and ``\\b`` does not separate them.
"""

from __future__ import annotations

import re

LEFT_WINDOW = 40
RIGHT_WINDOW = 20
CLAUSE_PENALTY = 15
_CLAUSE_BREAK = re.compile(r"[,;.!?\n，、。；！？]")

# Word prefixes (Latin, Cyrillic): matched after a non-letter, so "tel" does not fire in "hotel".
_PHONE_WORDS = (
    r"phone|telephone|tel\b|tlf|cell|mobile?|mob\b|fax|call|ring\b|rang\b|dial|text\s+me|sms|"
    r"whats\s?app|viber|telegram|landline|hotline|voicemail|answer(?:s|ing|ed)?\s+(?:at|on)\b|"
    r"reach\s+me|contact|extension|ext\b|(?:sms|text|message)s?\s+(?:to|from|on|at)\b|"
    r"telef|handy|anruf|ruf|erreichbar|festnetz|"  # de
    r"t[ée]l[ée]phone|t[ée]l\b|portable|appel|joindre|"  # fr
    r"tel[ée]fono|m[óo]vil|celular|ll[aá]m|contacto|"  # es
    r"telefone|telem[óo]vel|ligue|ligar|contato|zap\b|"  # pt
    r"cellulare|chiam|recapito|"  # it
    r"телефон|тел\b|моб|звон|позвон|сотов|ватсап|"  # ru
    r"đi[ệe]n\s*tho[ạa]i|s[đd]t\b|g[ọo]i|di\s*đ[ộo]ng|li[êe]n\s*h[ệe]|zalo"  # vi
)
_PHONE_SUBSTRINGS = (
    "电话",
    "電話",
    "手机",
    "手機",
    "联系",
    "聯繫",
    "聯絡",
    "致电",
    "打给",
    "座机",
    "传真",
    "傳真",
    "携帯",
    "ケータイ",
    "連絡",
    "전화",
    "휴대폰",
    "핸드폰",
    "연락",
    "هاتف",
    "جوال",
    "موبايل",
    "اتصل",
    "اتصال",
    "واتساب",
    "फोन",
    "फ़ोन",
    "मोबाइल",
    "कॉल",
    "संपर्क",
    "โทร",
    "มือถือ",
    "เบอร์",
    "ติดต่อ",
)

# Labels written after a number in contact blocks ("555 0100 (office)", "0170 1234567 mobil").
_PHONE_LABELS = r"office|fax|mobil|cell|home|work|tel\b|b[üu]ro|bureau|oficina|ufficio"

# What customers put in front of order, tracking, account and product numbers. "#" and "No."
# are not cues: "card #", "phone no." and "order #" are all written.
_IDENTIFIER_WORDS = (
    r"order|ord\b|invoice|inv\b|tracking|track|parcel|package|shipment|consignment|waybill|"
    r"ref\b|reference|ticket|case\b|booking|reservation|confirmation|sku|item|product|model|"
    r"serial|s/n|part\b|article|receipt|transaction|txn|account|acct|customer|member|policy|"
    r"licen[cs]e|passport|permit|code\b|pin\b|otp\b|version|build\b|isbn|ean\b|upc\b|gtin|"
    r"bestell|auftrag|rechnung|sendung|paket|kundennummer|artikel|vorgang|konto|"  # de
    r"commande|facture|colis|suivi|r[ée]f[ée]rence|r[ée]f\b|dossier|compte|"  # fr
    r"pedido|orden|factura|seguimiento|env[íi]o|paquete|referencia|art[íi]culo|cuenta|"
    r"c[óo]digo|"  # es
    r"encomenda|fatura|rastreio|rastreamento|refer[êe]ncia|conta|"  # pt
    r"ordine|fattura|spedizione|riferimento|pratica|codice|"  # it
    r"заказ|сч[её]т|трек|посылк|отправлен|накладн|артикул|"  # ru
    r"đơn\s*hàng|mã|vận\s*đơn|hóa\s*đơn"  # vi
)
# Amounts and addresses: never phones, but a card number may well follow "amount".
_AMOUNT_PLACE_WORDS = (
    r"amount|total|price|cost|paid|pay|fee|balance|charge|refund|"
    r"zip\b|postal|postcode|box\b|apt\b|suite\b|unit\b|room\b|floor\b|street|st\b|ave\b|road|"
    r"betrag|preis|summe|plz\b|postleitzahl|stra(?:ß|ss)e|str\.|"  # de
    r"montant|prix|rue\b|"  # fr
    r"importe|precio|calle|"  # es
    r"valor|pre[çc]o|"  # pt
    r"importo|prezzo|"  # it
    r"сумм|цен|улиц|"  # ru
    r"số\s*tiền|giá"  # vi
)
_IDENTIFIER_SUBSTRINGS = (
    "订单",
    "訂單",
    "单号",
    "單號",
    "快递",
    "运单",
    "運單",
    "物流",
    "发票",
    "發票",
    "金额",
    "金額",
    "价格",
    "編號",
    "编号",
    "型号",
    "货号",
    "注文",
    "伝票",
    "追跡",
    "請求",
    "品番",
    "型番",
    "주문",
    "송장",
    "운송장",
    "택배",
    "결제",
    "금액",
    "상품",
    "طلب",
    "فاتورة",
    "شحنة",
    "تتبع",
    "مبلغ",
    "ऑर्डर",
    "आर्डर",
    "ट्रैकिंग",
    "इनवॉइस",
    "राशि",
    "คำสั่งซื้อ",
    "ออเดอร์",
    "พัสดุ",
    "ใบแจ้งหนี้",
    "ราคา",
    "ยอด",
)

# Words that name an identity number without saying which country's; each kind of id in
# pii_ids.py adds its own ("BSN", "CPF", "주민등록번호").
_ID_GENERIC_WORDS = r"national\s+id|id\s+(?:number|no)|identity|identification|personal\s+number"
_ID_GENERIC_SUBSTRINGS = ("证件号", "身份证", "身份證", "الهوية", "هوية")

_CARD_WORDS = (
    r"card|cc\b|credit|debit|visa|master\s?card|amex|karte|kreditkarte|carte|tarjeta|cart[ãa]o|carta|"
    r"карт|thẻ"
)
_CARD_SUBSTRINGS = ("卡", "カード", "카드", "บัตร", "بطاقة", "कार्ड")


def cue_regex(words: str, substrings: tuple[str, ...] = ()) -> re.Pattern[str]:
    """One pattern for word-prefix cues (``words``, a regex alternation) and substring cues."""
    subs = "|".join(re.escape(s) for s in substrings) or "(?!)"
    # Not preceded by a Latin or Cyrillic letter or a digit: "tel" is no cue in "hotel", nor
    # "st" (street) in "21st".
    return re.compile(rf"(?<![A-Za-zÀ-ÿА-яЁё0-9])(?:{words})|{subs}", re.IGNORECASE)


PHONE_CUES = cue_regex(_PHONE_WORDS, _PHONE_SUBSTRINGS)
PHONE_CUES_RIGHT = cue_regex(f"{_PHONE_WORDS}|{_PHONE_LABELS}", _PHONE_SUBSTRINGS)
IDENTIFIER_CUES = cue_regex(_IDENTIFIER_WORDS, _IDENTIFIER_SUBSTRINGS)
OTHER_CUES = cue_regex(f"{_IDENTIFIER_WORDS}|{_AMOUNT_PLACE_WORDS}", _IDENTIFIER_SUBSTRINGS)
CARD_CUES = cue_regex(_CARD_WORDS, _CARD_SUBSTRINGS)

_CURRENCY_LEFT = re.compile(r"[$€£¥₹₩₫฿₽¢]\s?$|\b(?:usd|eur|gbp|rs\.?|inr|r\$)\s?$", re.I)
_CURRENCY_RIGHT = re.compile(
    r"^\s?(?:[$€£¥₹₩₫฿₽元円원]|(?:usd|eur|gbp|jpy|cny|rmb|inr|krw|vnd|thb|rub|brl|mxn|chf|"
    r"aed|sar|egp|euros?|dollars?|pesos?|reais|yuan|yen|won|baht|rupees?|đồng|dong|руб)"
    r"(?![^\W\d_])|บาท|ريال|درهم|جنيه|रुपये)",
    re.I,
)


def _last_end(pattern: re.Pattern[str], window: str) -> int:
    """End offset of the last match in ``window`` (-1 if none)."""
    end = -1
    for m in pattern.finditer(window):
        end = m.end()
    return end


def id_cues(words: str, substrings: tuple[str, ...] = ()) -> re.Pattern[str]:
    """Cues for one kind of identity number, plus the generic ones ("ID number")."""
    return cue_regex(f"{words}|{_ID_GENERIC_WORDS}", substrings + _ID_GENERIC_SUBSTRINGS)


def _distance(gap: str, *, after_cue: bool) -> int:
    # A cue in another clause ("card 4111..., order 12") is weaker than one in the same clause.
    # A dot right after a cue word is an abbreviation ("Tel. 030 ..."), not a clause break.
    clause = gap[1:] if after_cue and gap.startswith(".") else gap
    return len(gap) + (CLAUSE_PENALTY if _CLAUSE_BREAK.search(clause) else 0)


def nearest_cue(
    text: str,
    start: int,
    end: int,
    positive: re.Pattern[str],
    *,
    negative: re.Pattern[str] = OTHER_CUES,
    positive_right: re.Pattern[str] | None = None,
) -> str | None:
    """Which cue word is nearest to ``text[start:end]``: "pos", "neg" or None for neither.

    Nearest wins because a message often names both: "order 123, call me at 0170 1234567".
    """
    left = text[max(0, start - LEFT_WINDOW) : start]
    right = text[end : end + RIGHT_WINDOW]
    best, best_dist = None, 10**6
    for kind, pattern, right_pattern in (
        ("pos", positive, positive_right or positive),
        ("neg", negative, negative),
    ):
        last = _last_end(pattern, left)
        if last >= 0 and (dist := _distance(left[last:], after_cue=True)) < best_dist:
            best, best_dist = kind, dist
        m = right_pattern.search(right)
        if m and (dist := _distance(right[: m.start()], after_cue=False)) < best_dist:
            best, best_dist = kind, dist
    return best


def is_amount(text: str, start: int, end: int) -> bool:
    """A currency sign or code right next to the number: a price, not a phone or an id."""
    return bool(
        _CURRENCY_LEFT.search(text[max(0, start - 5) : start])
        or _CURRENCY_RIGHT.search(text[end : end + 10])
    )
