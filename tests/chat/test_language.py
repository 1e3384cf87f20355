"""Behaviour of the conversation-language detector (pure Python, no database)."""

from __future__ import annotations

import pytest

from supportbot.chat.language import (
    SUPPORTED_LANGUAGES,
    LanguageGuess,
    detect_language,
    normalize_locale,
)

REQUIRED = {
    "en", "zh", "ja", "ko", "es", "fr", "de", "pt", "it", "ar", "hi", "ru", "vi", "th", "nl",
    "tr", "id", "da", "no", "sv", "pl", "lt", "cs", "uk", "el", "he", "fa", "fi", "hu", "ro",
    "bn", "ms",
}  # fmt: skip


def test_supported_languages_cover_the_promised_set():
    assert REQUIRED <= SUPPORTED_LANGUAGES
    assert all(len(code) == 2 for code in SUPPORTED_LANGUAGES)


# --- scripts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好", "zh"),  # plain langdetect says ko
        ("我的订单在哪里？", "zh"),
        ("設定明天早上七點的鬧鐘", "zh"),  # traditional characters are still "zh"
        ("こんにちは、注文について質問があります", "ja"),
        ("ありがとう", "ja"),
        ("안녕하세요, 주문이 아직 안 왔어요", "ko"),
        ("สวัสดีครับ สินค้ายังไม่มาถึง", "th"),
        ("مرحبا، أين طلبي؟", "ar"),
        ("سلام، سفارش من کجاست؟", "fa"),
        ("שלום, יש לי בעיה עם ההזמנה", "he"),
        ("Γεια σας, πού είναι η παραγγελία μου;", "el"),
        ("नमस्ते, मेरा ऑर्डर कहाँ है?", "hi"),
        ("হ্যালো, আমার অর্ডার কোথায়?", "bn"),
        ("Здравствуйте, где мой заказ?", "ru"),
        ("Добрий день, де моє замовлення?", "uk"),
        ("Привіт! Дякую за допомогу", "uk"),
        ("Спасибо, всё понятно", "ru"),
    ],
)
def test_script_rules(text: str, expected: str):
    guess = detect_language(text)
    assert guess.code == expected
    assert guess.source == "script"


def test_kanji_inside_a_kana_sentence_is_japanese():
    assert detect_language("東京駅で待っています").code == "ja"


def test_latin_brand_inside_another_script_does_not_win():
    assert detect_language("iPhone の画面が割れました").code == "ja"
    assert detect_language("أريد إرجاع Samsung Galaxy").code == "ar"


# --- Latin-script languages ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I need help", "en"),  # plain langdetect says nl
        ("hello", "en"),
        ("Wo ist mein Paket?", "de"),
        ("Vielen Dank", "de"),
        ("¿Dónde está mi pedido?", "es"),
        ("Où est ma commande ?", "fr"),
        ("merci", "fr"),
        ("Hoi, ik heb een vraag over mijn bestelling", "nl"),
        ("Hej, jag har en fråga om min beställning", "sv"),
        ("Hei, jeg har et spørsmål om bestillingen min", "no"),
        ("Ciao, ho un problema con il mio ordine", "it"),
        ("Olá, tenho um problema com a minha encomenda", "pt"),
        ("Dzień dobry, mam problem z zamówieniem", "pl"),
        ("Dobrý den, mám problém s objednávkou", "cs"),
        ("Merhaba, siparişimle ilgili bir sorunum var", "tr"),
        ("Labas, turiu problemą su užsakymu", "lt"),
        ("Xin chào, tôi có vấn đề với đơn hàng", "vi"),
        ("Hyvää päivää, minulla on ongelma tilauksen kanssa", "fi"),
        ("Jó napot, problémám van a rendelésemmel", "hu"),
        ("Bună ziua, am o problemă cu comanda mea", "ro"),
        ("Saya mahu semak status penghantaran kerana bungkusan belum sampai", "ms"),
        ("Saya mau cek status pengiriman karena paketnya belum sampai", "id"),
    ],
)
def test_latin_languages(text: str, expected: str):
    assert detect_language(text).code == expected


def test_capitals_urls_emails_and_numbers_are_handled():
    assert detect_language("WHERE IS MY ORDER").code == "en"
    text = "Bestellung 4711-AB ist nicht angekommen, bitte an max@example.com https://x.de/a?b=1"
    assert detect_language(text).code == "de"


def test_english_titles_inside_another_language_do_not_take_over():
    assert (
        detect_language("Ich habe The Lord of the Rings bestellt, aber nichts bekommen").code
        == "de"
    )


def test_codes_are_plain_iso_639_1():
    assert detect_language("今天的天气怎么样").code == "zh"  # never zh-cn / zh-tw
    assert detect_language("Hei, hvor er pakken min? Jeg har ventet lenge.").code == "no"


# --- priors: history, then locale, then default --------------------------------------------


@pytest.mark.parametrize("text", ["ok", "123", "👍", "", "   ", "#4711 ?!"])
def test_text_without_evidence_follows_history_then_locale_then_default(text: str):
    assert detect_language(text, history=["fr", "de"], locale="es-MX") == LanguageGuess(
        "de", 0.4, "history"
    )
    by_locale = detect_language(text, locale="es-MX")
    assert (by_locale.code, by_locale.source) == ("es", "locale")
    by_default = detect_language(text, default="it")
    assert (by_default.code, by_default.source) == ("it", "default")
    assert by_default.confidence < by_locale.confidence < 0.5


def test_ambiguous_short_word_follows_the_conversation():
    assert detect_language("super", history=["de"]).code == "de"
    assert detect_language("hi", history=["nl"]).code == "nl"
    guess = detect_language("super", history=["de"])
    assert guess.source == "history"
    assert guess.confidence < 0.6


def test_locale_decides_a_short_ambiguous_word():
    assert detect_language("super", locale="de-DE").code == "de"
    assert detect_language("super", locale="fr-FR").code == "fr"


def test_clear_switch_of_language_is_followed_despite_history():
    history = ["de", "de", "de", "de"]
    guess = detect_language(
        "Sorry, could you answer in English? I don't speak German.", history=history
    )
    assert guess.code == "en"
    assert guess.source == "langdetect"
    assert detect_language("Où est ma commande ?", history=["en", "en"]).code == "fr"


def test_locale_does_not_override_clear_text():
    assert (
        detect_language("Wo ist mein Paket? Es sollte gestern ankommen.", locale="en-US").code
        == "de"
    )


def test_history_ignores_unknown_codes_and_uses_the_most_recent():
    assert detect_language("ok", history=["xx", "fr", "junk"]).code == "fr"
    assert detect_language("ok", history=["fr", "de"]).code == "de"
    assert detect_language("ok", history=["zh-TW"]).code == "zh"


def test_confidence_is_a_probability():
    for text in ["I need help", "你好", "ok", "Danke", "tak"]:
        guess = detect_language(text)
        assert 0.0 <= guess.confidence <= 1.0
        assert guess.code in SUPPORTED_LANGUAGES


# --- locales -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("de-AT", "de"),
        ("zh-Hant-TW", "zh"),
        ("zh-CN", "zh"),
        ("pt_BR", "pt"),
        ("EN-us", "en"),
        ("en_US.UTF-8", "en"),
        ("nb-NO", "no"),
        ("nn", "no"),
        ("iw", "he"),
        ("fil-PH", None),
        ("x-klingon", None),
        ("junk", None),
        ("zz", None),
        ("C", None),
        ("123", None),
        ("", None),
        (None, None),
    ],
)
def test_normalize_locale(locale: str | None, expected: str | None):
    assert normalize_locale(locale) == expected


# --- determinism ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["I need help", "hello", "Danke", "tak", "ok super", "你好"])
def test_same_input_gives_the_same_output(text: str):
    first = detect_language(text, history=["sv"], locale="da")
    assert all(detect_language(text, history=["sv"], locale="da") == first for _ in range(20))
