"""Did the bot's reply say it cannot help and hands over to a person?

The prompt tells the model to say it will pass the question to a human colleague when the
knowledge does not cover it (``inference_worker.prompting.system_message``), in the customer's
language. That sentence is the model's "cannot help" signal. It is recognised the way requests
for a person are (``supportbot.detectors.example_bank``): against handover sentences in 15
languages and ordinary answers (``data/bot_handover_examples.jsonl``), the reply scored whole.
"""

from __future__ import annotations

from pathlib import Path

from supportbot.detectors.example_bank import bank_scores, load_bank

EXAMPLES_PATH = Path(__file__).parent / "data" / "bot_handover_examples.jsonl"
# Held-out wordings in 8 languages (tests/chat/test_bot_handover.py) scored 0.47-0.73 with a
# lead of at least 0.27 over the answers; ordinary answers at most 0.33 with a lead of at most
# 0.14. The cut sits between both.
THRESHOLD = 0.4
MARGIN = 0.2


def bot_cannot_help(reply: str) -> bool:
    if not reply.strip():
        return False
    score = bank_scores([reply], load_bank(EXAMPLES_PATH), THRESHOLD, MARGIN, by_sentence=False)
    return float(score[0]) >= THRESHOLD
