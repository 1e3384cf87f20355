"""Detect the language of a customer's chat message.

`langdetect` alone is weak on chat-length text ("I need help" -> nl, short Chinese -> ko), so
the detector layers several kinds of evidence into one posterior over the languages we answer
in (`SUPPORTED_LANGUAGES`):

1. Unicode script. Most scripts name the language outright (Hangul -> ko, kana -> ja,
   Thai -> th, ...). Where a script is shared (Cyrillic ru/uk, Arabic ar/fa, Han zh/ja),
   letters only one language uses (і ї є ґ, پ چ ژ گ ی ک) weigh heavily and the steps below
   settle the rest. Latin names inside another script count for little.
2. langdetect's n-gram profiles, restricted to the candidates. Rather than langdetect's seven
   randomly sampled trials (whose "probabilities" are vote shares in sevenths) every n-gram is
   scored, word by word: deterministic, graded, and cacheable. A character takes part in three
   overlapping n-grams, so the log-likelihood is divided by three.
3. Very common words (`language_words`): a listed word scores at least as well as the best
   n-gram guess plus a fixed bonus, since the letter model misreads short words ("merci").
4. Code-switching: chat in any language borrows English words (products, titles, tech
   terms), so each word of a non-English message may come from English at a small cost, and
   capitalised words inside a sentence (likely names) count half.
5. Priors: the conversation's earlier languages (recent ones weigh more), then the widget
   locale, multiply the posterior. Text under about a dozen letters has its evidence shrunk,
   so "super" or "hi" follows the conversation while a clear sentence in another language
   still wins: a customer who switches language is followed.

Text without letters (digits, emoji, "ok") carries no evidence: the prior is returned with low
confidence (history, then locale, then the caller's default).

The numeric weights were chosen on a development split only: the even-numbered rows of the
xSID test file (`bench/language_eval.py --split dev`). The odd rows (`--split test`) and the
lingua files were not used to choose them.
"""

from __future__ import annotations

import math
import re
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
from langdetect.utils.ngram import NGram

from supportbot.chat.language_words import COMMON_WORDS, NEUTRAL_WORDS, SUFFIXES, word_set

SUPPORTED_LANGUAGES: frozenset[str] = frozenset({
    "en", "zh", "ja", "ko", "es", "fr", "de", "pt", "it", "ar", "hi", "ru", "vi", "th", "nl",
    "tr", "id", "da", "no", "sv", "pl", "lt", "cs", "uk", "el", "he", "fa", "fi", "hu", "ro",
    "bn", "ms",
})  # fmt: skip

LATIN_LANGUAGES: tuple[str, ...] = (
    "en", "es", "fr", "de", "pt", "it", "nl", "id", "ms", "tr", "vi", "da", "no", "sv", "pl",
    "lt", "cs", "fi", "hu", "ro",
)  # fmt: skip

# langdetect has no Malay profile; Indonesian is close enough for the n-gram part and the word
# lists then separate the two.
_PROFILE_FOR = {"zh": ("zh-cn", "zh-tw"), "ms": ("id",)}

# Weights, chosen on the development split (see the module docstring).
_NGRAM_WEIGHT = 1 / 3
_WORD_LOG_RATIO = 2.0
_SHORT_TEXT_LETTERS = 12
_ENGLISH_INSERTION = 0.1
_MARKER_LOG_RATIO = 3.0
_HISTORY_BOOST = 9.0  # the most recent earlier message's language is ten times as likely
_HISTORY_DECAY = 0.6
_LOCALE_BOOST = 3.0
_JA_FOR_HAN_ONLY = 0.05  # Japanese text without any kana is rare, Chinese is all Han
_SMOOTHING = 0.5 / 10000  # langdetect's own alpha / BASE_FREQ

_CONFIDENCE = {"history": 0.4, "locale": 0.3, "default": 0.1}


@dataclass(frozen=True, slots=True)
class LanguageGuess:
    code: str
    confidence: float
    source: str  # "script", "langdetect", "history", "locale", "default"


# --- locales -------------------------------------------------------------------------------

_ISO_639_1 = word_set(
    "aa ab ae af ak am an ar as av ay az ba be bg bi bm bn bo br bs ca ce ch co cr cs cu cv cy"
    " da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht"
    " hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw ky"
    " la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ny"
    " oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss"
    " st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo"
    " za zh zu"
)
# Withdrawn tags browsers still send, Norwegian written standards, and ISO 639-2/3 codes of
# the languages we answer in.
_LOCALE_ALIASES = {
    "iw": "he", "in": "id", "ji": "yi", "mo": "ro", "nb": "no", "nn": "no", "nob": "no",
    "nno": "no", "nor": "no", "zho": "zh", "chi": "zh", "cmn": "zh", "yue": "zh", "eng": "en",
    "deu": "de", "ger": "de", "gsw": "de", "fra": "fr", "fre": "fr", "spa": "es", "por": "pt",
    "ita": "it", "jpn": "ja", "kor": "ko", "ara": "ar", "rus": "ru", "ukr": "uk", "nld": "nl",
    "dut": "nl", "tur": "tr", "ind": "id", "msa": "ms", "may": "ms", "zsm": "ms", "vie": "vi",
    "tha": "th", "hin": "hi", "ben": "bn", "pol": "pl", "ces": "cs", "cze": "cs", "lit": "lt",
    "dan": "da", "swe": "sv", "fin": "fi", "hun": "hu", "ron": "ro", "rum": "ro", "ell": "el",
    "gre": "el", "heb": "he", "fas": "fa", "per": "fa", "pes": "fa",
}  # fmt: skip
_LOCALE_RE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*\s*$")


def normalize_locale(locale: str | None) -> str | None:
    """Return the ISO 639-1 code of a BCP 47 or POSIX locale ("pt_BR" -> "pt"), else None."""
    if not locale or not isinstance(locale, str):
        return None
    # POSIX locales carry an encoding and a modifier: "de_DE.UTF-8@euro".
    match = _LOCALE_RE.match(locale.split(".", 1)[0].split("@", 1)[0])
    if not match:
        return None
    primary = match.group(1).lower()
    primary = _LOCALE_ALIASES.get(primary, primary)
    return primary if primary in _ISO_639_1 else None


# --- scripts -------------------------------------------------------------------------------

_SCRIPT_RANGES: tuple[tuple[int, int, str], ...] = (
    (0x0370, 0x03FF, "greek"), (0x1F00, 0x1FFF, "greek"),
    (0x0400, 0x052F, "cyrillic"), (0x1C80, 0x1C8F, "cyrillic"), (0xA640, 0xA69F, "cyrillic"),
    (0x0590, 0x05FF, "hebrew"), (0xFB1D, 0xFB4F, "hebrew"),
    (0x0600, 0x06FF, "arabic"), (0x0750, 0x077F, "arabic"), (0x08A0, 0x08FF, "arabic"),
    (0xFB50, 0xFDFF, "arabic"), (0xFE70, 0xFEFF, "arabic"),
    (0x0900, 0x097F, "devanagari"), (0xA8E0, 0xA8FF, "devanagari"),
    (0x0980, 0x09FF, "bengali"), (0x0E00, 0x0E7F, "thai"),
    (0x1100, 0x11FF, "hangul"), (0x3130, 0x318F, "hangul"), (0xA960, 0xA97F, "hangul"),
    (0xAC00, 0xD7FF, "hangul"),
    (0x3040, 0x30FF, "kana"), (0x31F0, 0x31FF, "kana"), (0xFF66, 0xFF9F, "kana"),
    (0x3400, 0x4DBF, "han"), (0x4E00, 0x9FFF, "han"), (0xF900, 0xFAFF, "han"),
    (0x20000, 0x3FFFF, "han"),
)  # fmt: skip
_SCRIPT_LANGUAGE = {
    "greek": "el", "hebrew": "he", "devanagari": "hi", "bengali": "bn", "thai": "th",
    "hangul": "ko", "kana": "ja",
}  # fmt: skip
# Weights for deciding which script dominates a mixed message. Names, brands and titles are
# written in Latin inside every language ("播放 All Things Must Pass"), while the reverse is
# rare, so other scripts outweigh Latin, capitalised Latin words count half, and a CJK
# character, which carries about a syllable, counts as much as two letters of another script.
_SCRIPT_WEIGHT = {"latin": 1.0, "han": 4.0, "kana": 4.0, "hangul": 4.0}
_OTHER_SCRIPT_WEIGHT = 2.0
_NAME_WEIGHT = 0.5
# Letters only one language of a shared script uses.
_MARKERS: dict[str, dict[str, str]] = {
    "cyrillic": {"uk": "іїєґ", "ru": "ыэъё"},
    "arabic": {"fa": "پچژگیک", "ar": "ةيكى"},
}


@lru_cache(maxsize=4096)
def _script_of(ch: str) -> str | None:
    if not ch.isalpha():
        return None
    code = ord(ch)
    if code < 0x0250 or 0x1E00 <= code <= 0x1EFF:
        return "latin"
    for low, high, script in _SCRIPT_RANGES:
        if low <= code <= high:
            return script
    return "other"


# --- cleaning ------------------------------------------------------------------------------

_NOISE_RE = re.compile(
    r"https?://\S+|www\.\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+|[@#]\w+"
    r"|[A-Za-z0-9_-]*\d[A-Za-z0-9_-]*|\d+"
)
_WORD_RE = re.compile(r"[^\W\d_]+")
_TOKEN_RE = re.compile(r"[^\W\d_]+|[.!?¿¡:;\n]")
# Romanian keyboards still produce the older cedilla letters; the word lists use commas.
_CEDILLA_TO_COMMA = str.maketrans("şţ", "șț")


def _clean(text: str) -> str:
    """Drop what says nothing about the language: URLs, e-mails, handles, order numbers."""
    text = unicodedata.normalize("NFC", text).replace("\u2019", "'")
    text = _NOISE_RE.sub(" ", text)
    text = _WORD_RE.sub(lambda m: " " if m.group().lower() in NEUTRAL_WORDS else m.group(), text)
    words = _WORD_RE.findall(text)
    if not words:
        return ""
    upper = sum(c.isupper() for w in words for c in w)
    # langdetect skips words in capitals; a message typed in capitals would have no features.
    if upper * 2 > sum(len(w) for w in words):
        text = text.lower()
    return text


# --- evidence ------------------------------------------------------------------------------

_factory_lock = threading.Lock()
_factory: DetectorFactory | None = None


def _get_factory() -> DetectorFactory:
    """langdetect's profiles, loaded once (about a second) and shared by all threads."""
    global _factory
    if _factory is None:
        with _factory_lock:
            if _factory is None:
                factory = DetectorFactory()
                factory.load_profile(PROFILES_DIRECTORY)
                # Scoring here never samples, but a detector made from this factory should be
                # as reproducible as ours.
                factory.set_seed(0)
                _factory = factory
    return _factory


@lru_cache(maxsize=1)
def _profile_columns() -> dict[str, tuple[int, ...]]:
    """Columns of langdetect's probability table that stand for each supported language."""
    index = {lang: i for i, lang in enumerate(_get_factory().get_lang_list())}
    return {
        lang: tuple(index[p] for p in _PROFILE_FOR.get(lang, (lang,)))
        for lang in SUPPORTED_LANGUAGES
        if all(p in index for p in _PROFILE_FOR.get(lang, (lang,)))
    }


# Evidence enough for any chat message, and a bound on the work and on the word cache's keys:
# a 4,000-letter "word" is not a word, and 1,000 characters name a language.
MAX_DETECT_CHARS = 1000
MAX_WORD_CHARS = 32


@lru_cache(maxsize=50_000)
def _word_loglik(word: str) -> tuple[float, ...]:
    """Tempered log-likelihood of one word under every langdetect profile.

    n-grams never cross a word boundary in langdetect, so scoring word by word gives the
    same sum as scoring the text, and lets each word be cached and mixed separately.
    """
    factory = _get_factory()
    table = factory.word_lang_prob_map
    totals = [0.0] * len(factory.get_lang_list())
    ngram = NGram()
    for ch in f" {word} ":
        ngram.add_char(ch)
        if ngram.capitalword:  # langdetect ignores words in capitals (acronyms)
            continue
        for n in range(1, min(NGram.N_GRAM, len(ngram.grams)) + 1):
            gram = ngram.grams[-n:]
            if gram != " " and gram in table:
                for i, p in enumerate(table[gram]):
                    totals[i] += math.log(p + _SMOOTHING)
    return tuple(_NGRAM_WEIGHT * t for t in totals)


def _words(text: str) -> list[tuple[str, bool]]:
    """Letter runs with a flag for capitalised words inside a sentence (likely names)."""
    words: list[tuple[str, bool]] = []
    start = True
    for match in _TOKEN_RE.finditer(text):
        token = match.group()
        if not token[0].isalpha():
            start = True
            continue
        words.append((token[:MAX_WORD_CHARS], not start and token[0].isupper()))
        start = False
    return words


def _logaddexp(a: float, b: float) -> float:
    return max(a, b) + math.log1p(math.exp(-abs(a - b)))


def _text_scores(words: list[tuple[str, bool]], candidates: Sequence[str]) -> dict[str, float]:
    """Per-word n-gram and common-word evidence, with English insertions allowed for."""
    columns = _profile_columns()
    mix_english = "en" in candidates
    keep, borrow = math.log(1 - _ENGLISH_INSERTION), math.log(_ENGLISH_INSERTION)
    scores = dict.fromkeys(candidates, 0.0)
    for word, is_name in words:
        loglik = _word_loglik(word)
        lower = word.lower().translate(_CEDILLA_TO_COMMA)
        per_lang = {
            lang: max((loglik[i] for i in columns.get(lang, ())), default=0.0)
            for lang in candidates
        }
        best = max(per_lang.values())
        for lang in candidates:
            if lower in COMMON_WORDS.get(lang, ()) or (
                len(lower) > 5 and lower.endswith(SUFFIXES.get(lang, ("\0",)))
            ):
                # A listed word is known to be frequent in the language, whatever its letters
                # look like to the n-gram model ("merci" reads as Italian), so it scores at
                # least as well as the best n-gram guess, plus a fixed bonus.
                per_lang[lang] = best + _WORD_LOG_RATIO
        weight = _NAME_WEIGHT if is_name else 1.0
        for lang, value in per_lang.items():
            if mix_english and lang != "en":
                # Chat in any language borrows English words (products, titles, tech terms),
                # so each word may come from English instead, at a small cost.
                value = _logaddexp(keep + value, borrow + per_lang["en"])
            scores[lang] += weight * value
    return scores


def _marker_scores(text: str, script: str, candidates: Sequence[str]) -> dict[str, float]:
    scores = dict.fromkeys(candidates, 0.0)
    for lang, letters in _MARKERS.get(script, {}).items():
        if lang in scores:
            scores[lang] += _MARKER_LOG_RATIO * sum(text.count(c) for c in letters)
    return scores


def _history_weights(history: Sequence[str]) -> dict[str, float]:
    weights: dict[str, float] = {}
    weight = 1.0
    for code in reversed(history):
        lang = normalize_locale(code)
        if lang in SUPPORTED_LANGUAGES:
            weights[lang] = weights.get(lang, 0.0) + weight
        weight *= _HISTORY_DECAY
    return weights


def _prior_scores(
    candidates: Sequence[str], history: dict[str, float], locale: str | None
) -> tuple[dict[str, float], dict[str, float]]:
    """Log prior from history and from locale, kept apart to tell which one decided."""
    hist = {lang: math.log1p(_HISTORY_BOOST * history.get(lang, 0.0)) for lang in candidates}
    loc = {lang: (math.log1p(_LOCALE_BOOST) if lang == locale else 0.0) for lang in candidates}
    return hist, loc


def _prior_only(history: dict[str, float], locale: str | None, default: str) -> LanguageGuess:
    if history:
        best = max(history, key=lambda lang: history[lang])
        return LanguageGuess(best, _CONFIDENCE["history"], "history")
    if locale in SUPPORTED_LANGUAGES:
        return LanguageGuess(locale, _CONFIDENCE["locale"], "locale")
    return LanguageGuess(default, _CONFIDENCE["default"], "default")


def _argmax(scores: dict[str, float]) -> str:
    # Ties go to the earlier candidate so the result never depends on dict or set order.
    return max(scores, key=lambda lang: scores[lang])


# --- public API ----------------------------------------------------------------------------


def detect_language(
    text: str,
    *,
    locale: str | None = None,
    history: Sequence[str] = (),
    default: str = "en",
) -> LanguageGuess:
    """Guess the language to answer `text` in.

    `history` holds the conversation's earlier detected languages, oldest first; `locale` is
    the widget or browser locale. Both act as priors that short or ambiguous text defers to.
    """
    loc = normalize_locale(locale)
    hist = _history_weights(history)
    cleaned = _clean((text or "")[:MAX_DETECT_CHARS])

    counts: dict[str, float] = {}
    for word in _WORD_RE.findall(cleaned):
        name = word[0].isupper()
        for ch in word:
            script = _script_of(ch)
            if script is None or script == "other":
                continue
            weight = _SCRIPT_WEIGHT.get(script, _OTHER_SCRIPT_WEIGHT)
            if script == "latin" and name:
                weight *= _NAME_WEIGHT
            counts[script] = counts.get(script, 0.0) + weight
    if not counts:
        return _prior_only(hist, loc, default)
    if counts.get("kana") and counts.get("han"):
        counts["kana"] += counts.pop("han")  # kanji in a kana sentence is Japanese
    script = max(counts, key=lambda s: counts[s])

    if script in _SCRIPT_LANGUAGE:
        return LanguageGuess(_SCRIPT_LANGUAGE[script], 1.0, "script")
    if script == "cyrillic":
        candidates: tuple[str, ...] = ("ru", "uk")
    elif script == "arabic":
        candidates = ("ar", "fa")
    elif script == "han":
        candidates = ("zh", "ja")
    else:
        candidates = LATIN_LANGUAGES

    evidence = _text_scores(_words(cleaned), candidates)
    for lang, value in _marker_scores(cleaned, script, candidates).items():
        evidence[lang] += value
    if script == "han":
        evidence["ja"] += math.log(_JA_FOR_HAN_ONLY)
    # A few letters give overconfident likelihoods; shrinking them lets the conversation's
    # prior decide "super" or "hi" while leaving the ranking without priors unchanged.
    letters = sum(len(word) for word in _WORD_RE.findall(cleaned))
    shrink = min(1.0, letters / _SHORT_TEXT_LETTERS)
    evidence = {lang: shrink * value for lang, value in evidence.items()}

    hist_prior, loc_prior = _prior_scores(candidates, hist, loc)
    posterior = {lang: evidence[lang] + hist_prior[lang] + loc_prior[lang] for lang in candidates}
    best = _argmax(posterior)
    top = posterior[best]
    confidence = 1.0 / sum(math.exp(value - top) for value in posterior.values())

    if best == _argmax(evidence):
        source = "langdetect" if script == "latin" else "script"
    elif best == _argmax({lang: evidence[lang] + hist_prior[lang] for lang in candidates}):
        source = "history"
    else:
        source = "locale"
    return LanguageGuess(best, round(confidence, 4), source)
