"""Does a customer message ask to be handed to a human agent?

People ask for a person in endless ways ("agent please", "can someone real take over?",
"转人工", "상담원 연결해 주세요"), so a keyword list misses most of them. Instead each message is
compared, in multilingual USE v3 embeddings (``supportbot.safety.embeddings``), with a few
hundred hand-written examples in ``data/human_request_examples.jsonl``: requests for a person,
and hard negatives that share their words without asking for one ("are you a bot?", "human
resources", "the courier's agent lost it", "I want to talk about my invoice").

A message asks for a human when the mean cosine of its ``TOP_K`` nearest request examples is
at least ``THRESHOLD`` and beats that of its ``TOP_K`` nearest negative examples by
``MARGIN``; ``rule_score`` folds that rule into one number. Long messages are also scored
sentence by sentence, because a request at the end of a paragraph of complaint is diluted in
the mean-pooled embedding of the whole text. ``supportbot.chat.sentiment`` uses the same
machinery (``load_bank``, ``bank_scores``) with its own examples and constants.

USE reads 16 languages. It maps Devanagari and Bengali almost wholly to the unknown token, and
it embeds Vietnamese and Swahili by surface form rather than meaning (any two Vietnamese
sentences look alike), so those get no examples; a short phrase list (``FALLBACK_PHRASES``)
catches the plain ways of asking in them, with low recall by design.

``THRESHOLD`` and ``MARGIN`` are the pair with the best leave-one-out recall minus
false-positive rate over the examples file; ``python bench/human_request_eval.py`` recomputes
them and measures the detector on separate held-out lines.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from supportbot.safety.embeddings import embed
from supportbot.safety.lexicon import is_unreadable

EXAMPLES_PATH = Path(__file__).parent / "data" / "human_request_examples.jsonl"

THRESHOLD = 0.48
MARGIN = 0.02
# Similarity to a side of the bank is the mean over its TOP_K nearest examples: one odd
# example, or a message that happens to share one example's words, then cannot decide alone.
TOP_K = 3
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
    # Javanese, and the Indonesian its speakers mix in; Indonesian proper USE reads well.
    "jv": (
        r"(?:ngomong|omong-omongan|guneman|ngobrol) (?:karo|kalih|marang)"
        r" (?:wong|uwong|menungsa|petugas|cs|admin|operator|agen)",
        r"(?:sambungke|nyambungke|sambungna) (?:aku )?(?:karo|menyang|nang)"
        r" (?:wong|petugas|cs|admin|operator|agen)",
    ),
}

# Candidate sentence ends: full-width punctuation, or Latin-style punctuation before a space.
_SENTENCE_END = re.compile(r"[。！？；]+|[.!?;؟।]+(?=\s)|\n+")
# A fragment scored on its own needs this many words ("Help please." means nothing alone), or
# this many characters in scripts written without spaces between words (Chinese, Japanese,
# Thai), where a few characters make a sentence ("太离谱了！").
_MIN_WORDS = 3
_MIN_CHARS_UNSPACED = 4
_UNSPACED_SCRIPT = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff]")


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    match: bool


@dataclass(frozen=True)
class Bank:
    positives: np.ndarray  # (n_pos, 512) embeddings of the examples that match
    negatives: np.ndarray  # (n_neg, 512) embeddings of the others


def load_examples(path: Path = EXAMPLES_PATH) -> list[Example]:
    """Hand-written examples: one JSON object a line with text, language and match."""
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [Example(r["text"], r["language"], bool(r["match"])) for r in rows]


@functools.cache
def load_bank(path: Path = EXAMPLES_PATH) -> Bank:
    """The examples in ``path``, embedded once per process."""
    examples = load_examples(path)
    vectors = embed([e.text for e in examples])
    is_pos = np.array([e.match for e in examples])
    return Bank(positives=vectors[is_pos], negatives=vectors[~is_pos])


def top_k_mean(sim: np.ndarray, k: int = TOP_K) -> np.ndarray:
    """Mean of the ``k`` largest entries in each row of ``sim``, shape (n, m) -> (n,)."""
    k = min(k, sim.shape[1])
    return np.sort(sim, axis=1)[:, -k:].mean(axis=1)


def rule_score(
    pos_sim: np.ndarray, neg_sim: np.ndarray, threshold: float, margin: float
) -> np.ndarray:
    """The decision rule as one number in [0, 1], ``>= threshold`` exactly when it holds.

    That is the positive similarity, pulled below ``threshold`` by however much its lead over
    the negative similarity falls short of ``margin``.
    """
    return np.clip(np.minimum(pos_sim, threshold + pos_sim - neg_sim - margin), 0.0, 1.0)


def _long_enough(fragment: str) -> bool:
    if _UNSPACED_SCRIPT.search(fragment):
        return len(fragment) >= _MIN_CHARS_UNSPACED
    return len(fragment.split()) >= _MIN_WORDS


def _sentences(text: str) -> list[str]:
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        rest = text[m.end() :].lstrip()
        # "número do B.O. para", "w 7. miesiącu": no new sentence starts in lower case.
        if "\n" not in m.group() and rest and (rest[0].islower() or rest[0].isdigit()):
            continue
        out.append(text[start : m.end()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


def segments(text: str) -> list[str]:
    """The whole text, then those of its sentences that can stand alone, when there are two
    or more sentences."""
    sentences = _sentences(text)
    fragments = [s for s in sentences if _long_enough(s)]
    return [text, *fragments] if len(sentences) > 1 and fragments else [text]


def bank_scores(
    texts: list[str], bank: Bank, threshold: float, margin: float, *, by_sentence: bool = True
) -> np.ndarray:
    """``rule_score`` of each text (with ``by_sentence``, the best over the text and its
    sentences); 0 for text in scripts USE cannot read, whose embeddings are noise. One
    embedding call for the batch."""
    owners: list[int] = []
    pieces: list[str] = []
    for i, text in enumerate(texts):
        for piece in segments(text) if by_sentence else [text]:
            owners.append(i)
            pieces.append(piece)
    x = embed(pieces)
    pos, neg = top_k_mean(x @ bank.positives.T), top_k_mean(x @ bank.negatives.T)
    scores = np.zeros(len(texts))
    np.maximum.at(scores, np.array(owners, dtype=np.int64), rule_score(pos, neg, threshold, margin))
    scores[[is_unreadable(t) for t in texts]] = 0.0
    return scores


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
    """Whether a fallback phrase (for languages USE cannot read) occurs in ``text``."""
    return _compiled_phrases().search(normalise(text)) is not None


def human_request_score(texts: list[str]) -> list[float]:
    """How clearly each text asks for a human, in [0, 1]; ``>= THRESHOLD`` means it does."""
    if not texts:
        return []
    learned = bank_scores(texts, load_bank(), THRESHOLD, MARGIN)
    return [
        PHRASE_SCORE if phrase_match(t) else float(s) for t, s in zip(texts, learned, strict=True)
    ]


def asks_for_human(text: str) -> bool:
    """Whether the customer asks to talk to a human (agent, operator, manager, staff)."""
    return human_request_score([text])[0] >= THRESHOLD
