"""A small harm-phrase lexicon for languages the classifier's training data barely covers.

The fine-tuned e5 encoder reads about a hundred languages, but its harmful training examples
are thinnest in Hindi, Bengali, Vietnamese, Swahili and Javanese (the hand-written seeds).
``lexicon_scores`` gives a category ``LEXICON_SCORE`` when one of its unambiguous phrases in
those languages (Hindi in Devanagari and romanised, Bengali, Vietnamese, Swahili, Javanese
with the Indonesian words it shares) occurs in a text; the classifier takes the larger of that
and the learned score.

Entries are phrases, not single topic words, wherever a single word would also fit a customer
reporting a crime ("my card was stolen" must pass, "how do I steal a card" may not), and they
are tested against benign support questions in the same languages
(``tests/safety/test_lexicon.py``). Low recall by design: it catches the plain ways of asking
for the worst things, not paraphrases.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from supportbot.safety.verdict import Category

LEXICON_SCORE = 1.0

# Category -> phrases. Written as regular expressions (lower case, NFC); each must start at a
# word start. Latin-script entries must also end at a word end; entries in Indic scripts may
# run on into a suffix (their vowel signs are not word characters, and inflection is suffixal).
LEXICON: dict[Category, tuple[str, ...]] = {
    Category.SELF_HARM: (
        # Vietnamese
        r"tự tử",
        r"tự sát",
        r"tự làm hại bản thân",
        r"cắt cổ tay",
        r"kết liễu (?:cuộc đời|đời) (?:mình|tôi)",
        r"không muốn sống nữa",
        # Swahili
        r"kujiua",
        r"nitajiua",
        r"kujinyonga",
        r"kujidhuru",
        r"sitaki kuishi tena",
        # Javanese / Indonesian
        r"bunuh diri",
        r"nglalu",
        r"gantung diri",
        r"ora pengin urip maneh",
        r"tidak ingin hidup lagi",
        # Hindi (romanised)
        r"aa?tmahatya",
        r"khudkushi",
        r"marna chaht[ai]",
        r"jeena nahi chaht[ai]",
        # Bengali (romanised)
        r"atm[oa]hott?[ay]a",
        # Hindi (Devanagari)
        r"आत्महत्या",
        r"खुदकुशी",
        r"ख़ुदकुशी",
        r"मरना चाहत",
        r"जीना नहीं चाहत",
        r"अपनी जान ले",
        # Bengali
        r"আত্মহত্যা",
        r"মরে যেতে চাই",
        r"নিজেকে শেষ করে",
        r"বাঁচতে চাই না",
    ),
    Category.VIOLENCE: (
        # Vietnamese: explosives, killing people
        r"(?:chế tạo|chế|làm) (?:bom|mìn|thuốc nổ|chất nổ)",
        r"bom tự chế",
        r"giết người",
        r"giết (?:chết|hắn|nó|anh ta|cô ta|ông ta|bà ta|mày|họ)",
        r"(?:đâm|bắn) chết",
        # Swahili
        r"(?:kutengeneza|kutengenezea) (?:bomu|vilipuzi)",
        r"kuua (?:mtu|watu)",
        r"(?:nitakuua|nitamuua|nitawaua|kumuua|kuwaua)",
        # Javanese / Indonesian
        r"(?:gawe|nggawe|membuat|bikin|merakit) bom",
        r"bom rakitan",
        r"bahan peledak",
        r"(?:mateni|matèni|mbunuh|membunuh) (?:wong|orang|dheweke|dia|kowe|kamu)",
        r"tak pateni",
        # Hindi (romanised)
        r"(?:bomb|bam) (?:banana|banane|banaye|banaun)",
        r"jaan se maa?r",
        r"maa?r (?:dalunga|daalunga|dalungi|daalungi|dalo|daalo)",
        r"qatl",
        # Hindi (Devanagari)
        r"बम (?:बना|बनाने|बनाना)",
        r"विस्फोटक",
        r"जान से मार",
        r"मार डाल",
        r"कत्ल",
        r"क़त्ल",
        r"हत्या (?:कैसे|करने|कर)",
        # Bengali
        r"বোমা (?:বানা|তৈরি)",
        r"বিস্ফোরক",
        r"খুন (?:কর|করব|করতে)",
        r"মেরে ফেল",
        r"হত্যা (?:কর|করব|করতে)",
    ),
    Category.CRIME: (
        # Vietnamese: drugs, counterfeit money, laundering, guns
        r"(?:mua|bán|buôn|điều chế|chế) ma túy",
        r"(?:tiền giả|in tiền giả)",
        r"rửa tiền",
        r"mua súng",
        r"hack (?:tài khoản|facebook|email) (?:của )?(?:người khác|người yêu cũ|vợ|chồng)",
        # Swahili
        r"(?:kuuza|kununua|kusafirisha|kutengeneza) dawa za kulevya",
        r"kutakatisha (?:fedha|pesa)",
        r"pesa bandia",
        r"kununua bunduki",
        r"jinsi ya kuiba",
        # Javanese / Indonesian
        r"(?:tuku|adol|dodol|beli|jual|gawe|membuat) narkoba",
        r"pencucian uang",
        r"uang palsu",
        r"(?:tuku|beli) (?:bedhil|senjata api|pistol)",
        r"(?:carane|cara) (?:nyolong|mencuri|maling)",
        # Hindi (romanised)
        r"drugs? (?:bechna|bechne|bechu|kharidna|kharidne)",
        r"nakli (?:note|paise)",
        r"chori kaise (?:kare|karen|karu|karun)",
        # Hindi (Devanagari)
        r"(?:ड्रग्स|नशीले पदार्थ|नशे का सामान) (?:बेच|खरीद|बना)",
        r"नकली नोट",
        r"(?:बंदूक|हथियार|पिस्तौल|कट्टा) (?:खरीद|कहाँ से मिल|कहां से मिल)",
        r"चोरी कैसे कर",
        # Bengali
        r"(?:মাদক|ইয়াবা|হেরোইন) (?:বিক্রি|কেনা|কিনব|বানা|তৈরি)",
        r"জাল টাকা",
        r"(?:অস্ত্র|বন্দুক|পিস্তল) (?:কেনা|কিনব|কোথায় পাব)",
        r"চুরি করার উপায়",
        r"কিভাবে চুরি কর",
    ),
    Category.HATE: (
        # Calls to exterminate or expel a group, and slurs with no other everyday meaning.
        # Vietnamese
        r"(?:giết|tiêu diệt) hết (?:bọn|lũ)",
        r"(?:bọn|lũ) (?:mọi rợ|đồng tính bệnh hoạn)",
        # Swahili
        r"(?:waue|tuwaue) wote",
        # Javanese / Indonesian
        r"(?:bunuh|basmi|usir) (?:kabeh|semua) (?:wong|orang)",
        # Hindi
        r"कटुए",
        r"कटुआ",
        r"(?:सब|सारे|सभी) [^\s]+ (?:को )?(?:मार देना चाहिए|खत्म कर देना चाहिए|देश से निकाल)",
        # Bengali
        r"মালাউন",
        r"(?:সব|সকল) [^\s]+ (?:কে )?(?:মেরে ফেলা উচিত|দেশ থেকে তাড়া)",
    ),
}

_LATIN_END = r"(?!\w)"


def _is_latin(pattern: str) -> bool:
    return all(ord(ch) < 0x0900 for ch in pattern)


@functools.cache
def _compiled() -> dict[Category, re.Pattern[str]]:
    out = {}
    for cat, phrases in LEXICON.items():
        parts = [rf"(?<!\w)(?:{p}){_LATIN_END if _is_latin(p) else ''}" for p in phrases]
        out[cat] = re.compile("|".join(parts))
    return out


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def lexicon_scores(text: str) -> dict[Category, float]:
    """``LEXICON_SCORE`` for each category with a phrase in ``text``; other categories absent."""
    t = normalise(text)
    return {cat: LEXICON_SCORE for cat, rx in _compiled().items() if rx.search(t)}
