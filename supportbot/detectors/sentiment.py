"""Is a customer strongly upset: furious, desperate, insulting, threatening to leave or sue?

Ordinary complaints are the daily business of support ("my parcel is late, where is it?", "the
app crashed", "I'd like to cancel my subscription") and must not hand a chat to a person; only
anger or despair that the bot should not handle alone does ("this is the third time I'm asking
and nobody helps!", "you're useless", "I'm cancelling and telling everyone to avoid you").

The method is ``supportbot.detectors.example_bank``'s, as for requests for a person, with its own
hand-written examples (``data/negative_sentiment_examples.jsonl``): strongly negative messages,
and as negatives plain complaints, calm reports of serious trouble (fraud, theft, bereavement),
mild annoyance and neutral questions. A message counts when the mean cosine of its ``TOP_K``
nearest strongly negative examples reaches ``THRESHOLD`` and beats that of its nearest other
examples by ``MARGIN``. Unlike requests for a person, messages are scored whole: a sentence
read without its neighbours can sound angrier than it is ("It's been a week." after "Where is
my order?" sits next to "I've waited weeks, this is unacceptable!").

The constants were chosen for precision, because an escalation on anger should be rare and
right: the pair with the best leave-one-out recall over the examples among those with at most
1 % false positives, then checked on separate held-out lines
(``python bench/human_request_eval.py --detector sentiment``). There is no phrase list for
anger.
"""

from __future__ import annotations

from pathlib import Path

from supportbot.detectors.example_bank import TOP_K, bank_scores, load_bank

EXAMPLES_PATH = Path(__file__).parent / "data" / "negative_sentiment_examples.jsonl"

THRESHOLD = 0.885
MARGIN = 0.005

__all__ = ["EXAMPLES_PATH", "MARGIN", "THRESHOLD", "TOP_K", "negativity_score", "strongly_negative"]


def negativity_score(texts: list[str]) -> list[float]:
    """How strongly negative each text is, in [0, 1]; ``>= THRESHOLD`` means strongly."""
    if not texts:
        return []
    return [
        float(s)
        for s in bank_scores(texts, load_bank(EXAMPLES_PATH), THRESHOLD, MARGIN, by_sentence=False)
    ]


def strongly_negative(text: str) -> bool:
    """Whether the customer is furious, desperate or threatening to leave (not a plain gripe)."""
    return negativity_score([text])[0] >= THRESHOLD
