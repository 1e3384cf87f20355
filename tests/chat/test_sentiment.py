"""The strongly-negative-sentiment detector on clear cases of our own, in several languages.

None of these sentences is in the examples file or the bench's sets; the bench
(``bench/human_request_eval.py --detector sentiment``) measures the detector, these tests pin
that it behaves on obvious inputs. They load the real encoder.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportbot.detectors.sentiment import (
    EXAMPLES_PATH,
    THRESHOLD,
    negativity_score,
    strongly_negative,
)

FURIOUS = [
    "This is outrageous, I've asked four times and you keep ignoring me!",
    "You are completely useless, I'm cancelling today.",
    "Ich bin so wütend, niemand hilft mir hier!",
    "Je suis furieuse, personne ne répond depuis des semaines !",
    "¡Estoy harta, son unos incompetentes!",
    "Sono arrabbiatissimo, nessuno mi risponde da settimane!",
    "Estou muito irritado, ninguém me ajuda!",
    "Ik ben woest, niemand helpt me!",
    "Çok kızgınım, kimse bana yardım etmiyor!",
    "Я очень зол, мне никто не помогает!",
    "أنا في غاية الغضب، لا أحد يرد علي!",
    "我非常生气，根本没人帮我！",
    "本当に腹が立ちます。誰も助けてくれない！",
    "너무 짜증나요, 아무도 해결을 안 해줘요!",
    # Missed in USE embeddings (close to "thanks, it's fixed!"), caught in e5's.
    "정말 화나요, 아무도 안 도와줘요!",
]

PLAIN = [
    # Ordinary complaints: the daily business of support.
    "My package is a few days late, can you check where it is?",
    "The app crashed when I opened it.",
    "I was charged twice, please refund one payment.",
    "Meine Lieferung ist verspätet, wo ist sie?",
    "L'application plante au démarrage.",
    "アプリが起動しません。",
    "我的快递什么时候到？",
    "Приложение не открывается.",
    # A late order with its wait spelled out is still a plain question.
    "Where is my parcel? It has been ten days.",
    # Leaving calmly, and calm reports of serious trouble.
    "Can you tell me how to cancel my plan?",
    "¿Cómo puedo cancelar mi suscripción?",
    "My card was stolen yesterday, please block it.",
    # Neutral and positive.
    "Thank you, that solved it!",
    "Do you deliver on Saturdays?",
]

DATA_FILES = [
    EXAMPLES_PATH,
    Path(__file__).parents[2] / "bench" / "data" / "negative_sentiment_dev.jsonl",
    Path(__file__).parents[2] / "bench" / "data" / "negative_sentiment_heldout.jsonl",
]


@pytest.mark.parametrize("text", FURIOUS)
def test_strong_anger_is_detected(text: str) -> None:
    assert strongly_negative(text)


@pytest.mark.parametrize("text", PLAIN)
def test_plain_complaints_and_questions_are_not(text: str) -> None:
    assert not strongly_negative(text)


def test_scores_are_batched_in_order_and_bounded() -> None:
    texts = ["You people are hopeless, I'm furious!", "Has my parcel shipped?"]
    scores = negativity_score(texts)
    assert [s >= THRESHOLD for s in scores] == [True, False]
    assert all(0.0 <= s <= 1.0 for s in scores)
    assert scores == pytest.approx([negativity_score([t])[0] for t in texts], abs=1e-5)
    assert negativity_score([]) == []


def test_anger_in_scripts_the_first_encoder_could_not_read_is_detected() -> None:
    # USE embedded Devanagari and Bengali to noise (it scored them 0); e5 reads them.
    furious_hi, furious_bn, plain_hi = negativity_score(
        [
            "मैं बहुत गुस्से में हूँ, कोई मदद नहीं कर रहा!",
            "আমি খুব রেগে আছি, কেউ সাহায্য করছে না!",
            "मेरा ऑर्डर कहाँ है?",
        ]
    )
    assert furious_hi >= THRESHOLD and furious_bn >= THRESHOLD
    assert plain_hi < THRESHOLD


def test_test_sentences_are_not_in_any_data_file() -> None:
    seen = set()
    for path in DATA_FILES:
        with path.open(encoding="utf-8") as f:
            seen |= {json.loads(line)["text"] for line in f if line.strip()}
    furious = [t if isinstance(t, str) else t.values[0] for t in FURIOUS]
    assert not seen & set(furious + PLAIN)
