"""The asks-for-a-human detector on clear cases of our own, in many languages.

None of these sentences is in the examples file, the bench's dev set or its held-out set
(``test_test_sentences_are_not_in_any_data_file``); bench/human_request_eval.py measures the
detector, these tests pin that it behaves on obvious inputs. They load the real encoder.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from supportbot.detectors.human_request import (
    EXAMPLES_PATH,
    THRESHOLD,
    asks_for_human,
    human_request_score,
    load_examples,
    phrase_match,
    rule_score,
    segments,
)

USE_LANGUAGES = (
    "en", "de", "fr", "es", "it", "pt", "nl", "pl", "tr", "ru", "ar", "zh", "ja", "ko", "th",
)  # fmt: skip

REQUESTS = {
    "en": ["Could you get me a real person, please?",
           "I would like to talk to one of your agents."],
    "de": ["Ich hätte gern einen echten Mitarbeiter.",
           "Verbinden Sie mich bitte mit einem Menschen."],
    "fr": ["Je voudrais parler à un humain, s'il vous plaît.",
           "Mettez-moi en contact avec un conseiller."],
    "es": ["Quiero hablar con un agente, por favor.", "¿Puede atenderme una persona real?"],
    "it": ["Posso parlare con un operatore, per favore?", "Vorrei un essere umano, non un bot."],
    "pt": ["Quero falar com uma pessoa real.", "Me coloca em contato com um atendente."],
    "nl": ["Ik wil graag een mens spreken.", "Kunt u mij met een medewerker verbinden?"],
    "pl": ["Proszę o rozmowę z konsultantem.", "Chcę porozmawiać z człowiekiem, nie z botem."],
    "tr": ["Bir temsilciyle konuşmak istiyorum.", "Lütfen beni bir insana bağlayın."],
    "ru": ["Соедините меня, пожалуйста, с оператором.", "Хочу поговорить с человеком."],
    "ar": ["أريد التحدث مع ممثل خدمة العملاء.", "من فضلك حولني إلى موظف."],
    "zh": ["我想找人工客服。", "请帮我转人工。"],
    "ja": ["オペレーターにつないでください。", "人と話したいです。"],
    "ko": ["상담원과 이야기하고 싶어요.", "사람 상담원 연결해 주세요."],
    "th": ["ขอคุยกับพนักงานค่ะ", "อยากคุยกับเจ้าหน้าที่ครับ"],
    # Outside USE: the phrase fallback.
    "hi": ["कृपया किसी इंसान से बात कराइए।", "mujhe agent se baat karni hai"],
    "vi": ["Tôi muốn nói chuyện với nhân viên tư vấn.", "Cho tôi gặp nhân viên hỗ trợ."],
    "bn": ["আমি এজেন্টের সাথে কথা বলতে চাই।"],
    "sw": ["Nataka kuzungumza na wakala."],
}  # fmt: skip

NOT_REQUESTS = [
    # Asking whether the bot is a person is not asking for one.
    "Are you a robot?",
    "Bist du ein Roboter?",
    "Es-tu un robot ?",
    "¿Eres un bot?",
    "ロボットですか？",
    "你是不是机器人？",
    "Вы робот?",
    # Ordinary support questions.
    "What are your opening hours tomorrow?",
    "À quelle heure ouvrez-vous ?",
    "¿A qué hora abren?",
    "何時に開きますか？",
    "Where is my parcel at the moment?",
    "Wo ist meine Sendung?",
    "Où en est ma livraison ?",
    "¿Dónde está mi pedido?",
    "Где моя посылка сейчас?",
    # The words without the request.
    "How do I reach human resources?",
    "人事部的电话是多少？",
    "The delivery agent left my parcel at the wrong house.",
    "Do you offer discounts for staff of partner companies?",
    # Outside USE: no phrase, and the embedding is not trusted.
    "मेरा पार्सल कब आएगा?",
    "Đơn hàng của tôi bao giờ đến?",
]

ALL_TEST_SENTENCES = [t for ts in REQUESTS.values() for t in ts] + NOT_REQUESTS
DATA_FILES = [
    EXAMPLES_PATH,
    Path(__file__).parents[2] / "bench" / "data" / "human_request_dev.jsonl",
    Path(__file__).parents[2] / "bench" / "data" / "human_request_heldout.jsonl",
]


@pytest.mark.parametrize(
    ("language", "text"), [(lang, t) for lang, texts in REQUESTS.items() for t in texts]
)
def test_request_for_a_person_is_detected(language: str, text: str) -> None:
    assert asks_for_human(text), language


@pytest.mark.parametrize("text", NOT_REQUESTS)
def test_other_messages_are_not_taken_for_a_request(text: str) -> None:
    assert not asks_for_human(text)


def test_request_at_the_end_of_a_long_complaint_is_detected() -> None:
    text = (
        "My order 4411 arrived with a cracked screen. I sent photos twice already and got "
        "the same automatic reply both times. Please let me speak to a real person."
    )
    assert asks_for_human(text)


def test_scores_are_batched_in_order_and_bounded() -> None:
    texts = ["Get me a person, please.", "Has my parcel shipped?", "mujhe agent se baat karni hai"]
    scores = human_request_score(texts)
    assert [s >= THRESHOLD for s in scores] == [True, False, True]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == pytest.approx([human_request_score([t])[0] for t in texts], abs=1e-5)
    assert human_request_score([]) == []


def test_rule_score_crosses_the_threshold_exactly_when_the_rule_holds() -> None:
    rng = np.random.default_rng(0)
    pos, neg = rng.uniform(0, 1, 2000), rng.uniform(0, 1, 2000)
    threshold, margin = 0.45, 0.04
    holds = (pos >= threshold) & (pos - neg >= margin)
    np.testing.assert_array_equal(rule_score(pos, neg, threshold, margin) >= threshold, holds)


def test_sentences_are_split_but_not_at_abbreviations_or_ordinals() -> None:
    assert segments("Jestem w 7. miesiącu ciąży, czy mogę lecieć?") == [
        "Jestem w 7. miesiącu ciąży, czy mogę lecieć?"
    ]
    text = "Where is my order? I want to talk to a person now."
    assert segments(text) == [text, "Where is my order?", "I want to talk to a person now."]
    # A few characters make a sentence in Chinese.
    assert segments("我等了一个月。转人工！")[1:] == ["我等了一个月。", "转人工！"]


def test_fragments_too_short_to_stand_alone_are_not_scored_alone() -> None:
    text = "Hacked. Someone changed my password. Help please."
    assert segments(text) == [text, "Someone changed my password."]


def test_fallback_phrases_want_the_asking_form() -> None:
    assert phrase_match("मुझे किसी इंसान से बात करनी है")
    # "I spoke to an agent yesterday", and Vietnamese delivery staff, are not requests.
    assert not phrase_match("कल मैंने एजेंट से बात की थी")
    assert not phrase_match("Tôi muốn gặp nhân viên giao hàng để lấy lại gói hàng.")


def test_examples_cover_the_use_languages_on_both_sides() -> None:
    examples = load_examples(EXAMPLES_PATH)
    counts = Counter((e.language, e.match) for e in examples)
    for lang in USE_LANGUAGES:
        assert counts[(lang, True)] >= 5, lang
        assert counts[(lang, False)] >= 5, lang
    texts = [e.text for e in examples]
    assert len(texts) == len(set(texts))


def test_test_sentences_are_not_in_any_data_file() -> None:
    seen = set()
    for path in DATA_FILES:
        with path.open(encoding="utf-8") as f:
            seen |= {json.loads(line)["text"] for line in f if line.strip()}
    assert not seen & set(ALL_TEST_SENTENCES)
