"""Does a customer message ask to be handed to a human agent?

People ask for a person in endless ways ("agent please", "can someone real take over?",
"转人工", "상담원 연결해 주세요"), so a keyword list misses most of them. Instead each message is
compared, in the project's multilingual-e5-small embeddings (``supportbot.embeddings``), with a few
hundred hand-written examples in ``data/human_request_examples.jsonl``: requests for a person,
and hard negatives that share their words without asking for one ("are you a bot?", "human
resources", "the courier's agent lost it", "I want to talk about my invoice").

A message asks for a human when the mean cosine of its ``TOP_K`` nearest request examples is
at least ``THRESHOLD`` and beats that of its ``TOP_K`` nearest negative examples by
``MARGIN``; ``rule_score`` folds that rule into one number. Long messages are also scored
sentence by sentence, because a request at the end of a paragraph of complaint is diluted in
the mean-pooled embedding of the whole text. ``supportbot.detectors.sentiment`` uses the same
machinery (``supportbot.detectors.example_bank``) with its own examples and constants.

e5 reads about a hundred languages, and examples in one language carry over to others
(Czech or Ukrainian requests match without examples of their own). A short phrase list
(``FALLBACK_PHRASES``) still catches the plain ways of asking in Hindi, Bengali, Vietnamese,
Swahili and Javanese, the languages with fewest examples; it was written when the embedding
could not read them, and costs nothing.

``THRESHOLD`` and ``MARGIN`` are the pair with the best leave-one-out recall minus
false-positive rate over the examples file; ``python bench/human_request_eval.py`` recomputes
them and measures the detector on separate held-out lines.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from pathlib import Path

from supportbot.detectors.example_bank import (  # noqa: F401 (re-exported for the bench and tests)
    TOP_K,
    Bank,
    Example,
    bank_scores,
    load_bank,
    load_examples,
    rule_score,
    segments,
    top_k_mean,
)

EXAMPLES_PATH = Path(__file__).parent / "data" / "human_request_examples.jsonl"

THRESHOLD = 0.88
MARGIN = 0.015
# A fallback phrase is as sure as a message can get.
PHRASE_SCORE = 1.0

# Language -> phrases, as regular expressions on NFC, case-folded text. Each must start at a
# word start; Latin-script ones must also end at a word end. Verbs are pinned to the wanting or
# asking forms where the language marks them ("...से बात की थी", I spoke to an agent yesterday,
# must not match).
FALLBACK_PHRASES: dict[str, tuple[str, ...]] = {
    "hi": (
        r"(?:इंसान|इन्सान|व्यक्ति|आदमी|एजेंट|कर्मचारी|प्रतिनिधि|मैनेजर|अधिकारी|कस्टमर केयर)"
        r" (?:से|से ही) (?:बात|संपर्क) (?:करनी|करना|कराइए|कराओ|करवाइए|करवाओ|करवा दो|करा दो"
        r"|करा दीजिए|करवा दीजिए|कर सकता|कर सकती|करवाएं|कराएं)",
        r"(?:मेरी )?बात (?:किसी )?(?:इंसान|व्यक्ति|एजेंट|कर्मचारी|प्रतिनिधि|मैनेजर) से"
        r" (?:कराइए|कराओ|करवाइए|करवाओ|करवा दो|करा दो|करा दीजिए|करवा दीजिए)",
        r"(?:insaan|insan|agent|manager|customer care|kisi banda|executive)"
        r" se baat (?:karni|karna|karao|karwao|karwa do|kara do|karaiye|karwaiye|kar sakta"
        r"|kar sakti|kar sakte)",
    ),
    "bn": (
        r"(?:মানুষ|এজেন্ট|প্রতিনিধি|কর্মী|কর্মকর্তা|ম্যানেজার|কাস্টমার কেয়ার)(?:ের|র|য়ের)? সাথে"
        r" কথা (?:বলতে চাই|বলতে পারি|বলব|বলিয়ে দিন|বলাতে)",
    ),
    "vi": (
        r"(?:nói chuyện|trò chuyện|nói|gặp|liên hệ|kết nối)(?: tôi| mình| em)? (?:với |cho )?"
        r"(?:nhân viên|người thật|tư vấn viên|tổng đài viên|quản lý|người hỗ trợ|con người)"
        r"(?! giao hàng)",
        r"(?:chuyển|nối máy)(?: cho)?(?: tôi| mình| em)? (?:sang|cho|qua|tới|đến|với) "
        r"(?:nhân viên|người thật|tư vấn viên|tổng đài viên|quản lý|con người)(?! giao hàng)",
    ),
    "sw": (
        r"(?:kuongea|niongee|ongea|kuzungumza|nizungumze|zungumza) na"
        r" (?:mtu|binadamu|wakala|mhudumu|meneja|mfanyakazi|afisa)",
        r"niunganishe na (?:mtu|binadamu|wakala|mhudumu|meneja|mfanyakazi|afisa)",
    ),
    # Javanese, and the Indonesian its speakers mix in.
    "jv": (
        r"(?:ngomong|omong-omongan|guneman|ngobrol) (?:karo|kalih|marang)"
        r" (?:wong|uwong|menungsa|petugas|cs|admin|operator|agen)",
        r"(?:sambungke|nyambungke|sambungna) (?:aku )?(?:karo|menyang|nang)"
        r" (?:wong|petugas|cs|admin|operator|agen)",
    ),
}


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


@functools.cache
def _compiled_phrases() -> re.Pattern[str]:
    word_end = r"(?!\w)"
    parts = []
    for phrases in FALLBACK_PHRASES.values():
        for p in phrases:
            # Indic vowel signs are not word characters and inflection is suffixal, so only
            # Latin-script phrases are held to a word end.
            latin = all(ord(ch) < 0x0900 for ch in p)
            parts.append(rf"(?<!\w)(?:{p}){word_end if latin else ''}")
    # An empty alternation would match every text; "(?!)" matches none.
    return re.compile("|".join(parts) or "(?!)")


def phrase_match(text: str) -> bool:
    """Whether a fallback phrase (hi, bn, vi, sw, jv) occurs in ``text``."""
    return _compiled_phrases().search(normalise(text)) is not None


def human_request_score(texts: list[str]) -> list[float]:
    """How clearly each text asks for a human, in [0, 1]; ``>= THRESHOLD`` means it does."""
    if not texts:
        return []
    learned = bank_scores(texts, load_bank(EXAMPLES_PATH), THRESHOLD, MARGIN)
    return [
        PHRASE_SCORE if phrase_match(t) else float(s) for t, s in zip(texts, learned, strict=True)
    ]


def asks_for_human(text: str) -> bool:
    """Whether the customer asks to talk to a human (agent, operator, manager, staff)."""
    return human_request_score([text])[0] >= THRESHOLD
