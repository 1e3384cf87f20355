"""The model's "I'll pass this to a colleague" is recognised in many languages; answers are not."""

from __future__ import annotations

import pytest

from supportbot.detectors.bot_handover import EXAMPLES_PATH, bot_cannot_help
from supportbot.detectors.example_bank import load_examples

HANDS_OVER = [
    "I don't know the answer to that, so I'll pass it to a human colleague.",
    "Unfortunately I can't help with this; a colleague from our team will take over.",
    "Dazu habe ich keine Informationen. Ein Kollege meldet sich bei Ihnen.",
    "Je ne peux pas répondre à cela, je transmets à un collègue humain.",
    "No tengo esa información; se la paso a un compañero.",
    "这个我不清楚，我会请人工客服来帮您。",
    "申し訳ありませんが、その件は担当者にお繋ぎします。",
    "Non lo so, passo la domanda a un collega.",
]
ANSWERS = [
    "Express delivery takes 1-2 business days.",
    "Refunds are processed within 5 days after we receive the return.",
    "Sie können die Bestellung in Ihrem Konto stornieren.",
    "Hello! How can I help you today?",
    "I passed your feedback to the product team, thank you!",
    "Nuestro equipo está disponible de lunes a viernes.",
    "订单发出后，您会收到物流单号。",
    "",
]


def test_held_out_wordings_are_not_the_examples():
    examples = {e.text for e in load_examples(EXAMPLES_PATH)}
    assert not (set(HANDS_OVER) | set(ANSWERS)) & examples


@pytest.mark.parametrize("reply", HANDS_OVER)
def test_a_handover_is_recognised(reply):
    assert bot_cannot_help(reply)


@pytest.mark.parametrize("reply", ANSWERS)
def test_an_answer_is_not_a_handover(reply):
    assert not bot_cannot_help(reply)
