"""Prompt rendering (instruct and base), knowledge retrieval and the demo knowledge base."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from inference_worker.prompting import (
    PromptSpec,
    RenderedPrompt,
    Turn,
    language_name,
    render_prompt,
)
from tests.inference_worker.tiny_checkpoint import qwen_tokenizer

KNOWLEDGE = Path(__file__).resolve().parents[2] / "supportbot" / "knowledge"
CORE_LANGUAGES = ("en", "de", "fr", "es", "zh", "ja")


class WordTokenizer:
    """Counts whitespace-separated words; enough to test budgets without loading a model."""

    bos_token = None
    bos_token_id = None

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": list(range(len(text.split())))}


def spec(*history: Turn, language: str = "de", knowledge: str | None = None) -> PromptSpec:
    return PromptSpec(
        language=language,
        knowledge=knowledge
        if knowledge is not None
        else "Lieferzeiten: Der Versand dauert 3-5 Werktage.",
        examples=(("Welche Zahlungsarten gibt es?", "Visa, Mastercard und PayPal."),),
        history=history or (Turn("customer", "Wie lange dauert der Versand?"),),
    )


# -- instruct models ----------------------------------------------------------------------


def test_instruct_uses_the_chat_template_with_a_system_message():
    prompt = render_prompt(qwen_tokenizer(), spec(), instruct=True)
    assert isinstance(prompt, RenderedPrompt)
    assert prompt.stop_strings == ()
    assert prompt.text.startswith("<|im_start|>system\n")
    assert prompt.text.endswith("<|im_start|>user\nWie lange dauert der Versand?<|im_end|>\n"
                                "<|im_start|>assistant\n")  # fmt: skip
    system = prompt.text.split("<|im_end|>")[0]
    assert "Reply in German." in system
    assert "Acme Shop" in system
    assert "Der Versand dauert 3-5 Werktage." in system


def test_instruct_maps_roles_and_merges_consecutive_turns():
    history = (
        Turn("customer", "Hallo"),
        Turn("customer", "Wo ist mein Paket?"),
        Turn("agent", "Ich schaue nach."),
        Turn("bot", "Es ist unterwegs."),
        Turn("customer", "Danke!"),
    )
    text = render_prompt(qwen_tokenizer(), spec(*history), instruct=True).text
    assert "<|im_start|>user\nHallo\nWo ist mein Paket?<|im_end|>" in text
    assert "<|im_start|>assistant\nIch schaue nach.\nEs ist unterwegs.<|im_end|>" in text
    assert text.count("<|im_start|>user") == 2


def test_instruct_drops_a_bos_the_engine_adds_itself():
    class GemmaLike(WordTokenizer):
        bos_token = "<bos>"
        bos_token_id = 2

        def __call__(self, text: str, add_special_tokens: bool = True):
            return {"input_ids": [2, *range(len(text.split()))]}

        def apply_chat_template(self, messages, add_generation_prompt, tokenize):
            return "<bos><start_of_turn>user\n" + messages[-1]["content"]

    text = render_prompt(GemmaLike(), spec(), instruct=True).text
    assert text.startswith("<start_of_turn>user\n")


def test_language_names():
    assert language_name("ja") == "Japanese"
    assert language_name("pt-BR") == "Portuguese"
    assert language_name("xx") == "xx"


# -- base models --------------------------------------------------------------------------


def test_base_renders_a_transcript_ending_with_the_bot_label():
    prompt = render_prompt(WordTokenizer(), spec(), instruct=False)
    lines = prompt.text.split("\n")
    assert lines[-1] == "Agent:"
    assert lines[-2] == "Customer: Wie lange dauert der Versand?"
    assert "Facts: Lieferzeiten: Der Versand dauert 3-5 Werktage." in lines
    assert "Customer: Welche Zahlungsarten gibt es?" in lines
    assert "Agent: Visa, Mastercard und PayPal." in lines
    assert "<bos>" not in prompt.text


def test_base_stop_strings_end_the_turn_at_a_new_line():
    prompt = render_prompt(WordTokenizer(), spec(), instruct=False)
    reply = " Der Versand dauert 3-5 Werktage.\nCustomer: Und was kostet er?"
    cut = min(reply.find(s) for s in prompt.stop_strings if s in reply)
    assert reply[:cut].strip() == "Der Versand dauert 3-5 Werktage."
    assert "\n" in prompt.stop_strings


def test_base_keeps_each_turn_on_one_line():
    history = (Turn("customer", "Hallo,\n\nmein Paket\nfehlt."),)
    text = render_prompt(WordTokenizer(), spec(*history), instruct=False).text
    assert "Customer: Hallo, mein Paket fehlt.\nAgent:" in text


def test_base_shows_only_the_best_article_next_to_the_question():
    knowledge = "Lieferzeiten: 3-5 Werktage.\nVersandkosten: 4,95 €."
    text = render_prompt(WordTokenizer(), spec(knowledge=knowledge), instruct=False).text
    assert text.endswith(
        "\nFacts: Lieferzeiten: 3-5 Werktage.\nCustomer: Wie lange dauert der Versand?\nAgent:"
    )
    assert "Versandkosten" not in text
    instruct = render_prompt(qwen_tokenizer(), spec(knowledge=knowledge), instruct=True).text
    assert "Versandkosten: 4,95 €." in instruct  # instruct models get every article


def test_base_without_knowledge_has_no_facts_for_the_question():
    lines = render_prompt(WordTokenizer(), spec(knowledge=""), instruct=False).text.split("\n")
    assert not lines[-3].startswith("Facts:")


@pytest.mark.parametrize("instruct", [False, True])
def test_history_truncation_keeps_the_newest_turns(instruct):
    history = tuple(
        Turn("customer" if i % 2 == 0 else "bot", f"turn{i} " + "word " * 20) for i in range(21)
    )
    tokenizer = qwen_tokenizer() if instruct else WordTokenizer()
    full = render_prompt(tokenizer, spec(*history), instruct=instruct, max_prompt_tokens=100_000)
    short = render_prompt(tokenizer, spec(*history), instruct=instruct, max_prompt_tokens=150)
    assert "turn0 " in full.text and "turn20 " in full.text
    assert "turn20 " in short.text
    assert "turn0 " not in short.text
    kept = [i for i in range(21) if f"turn{i} " in short.text]
    assert kept == list(range(kept[0], 21))  # a contiguous run of the newest turns
    assert 1 <= len(kept) < 21
    assert kept[0] % 2 == 0  # starts on a customer turn


def test_the_last_turn_survives_any_budget():
    history = (Turn("customer", "very long " * 500),)
    prompt = render_prompt(WordTokenizer(), spec(*history), instruct=False, max_prompt_tokens=10)
    assert prompt.text.rstrip().endswith("very long\nAgent:")


# -- the demo knowledge base's files ------------------------------------------------------


@pytest.fixture(scope="module")
def kb() -> dict:
    from supportbot.knowledge.markdown_files import read_article_file

    examples = json.loads((KNOWLEDGE / "demo_examples.json").read_text(encoding="utf-8"))
    articles = [read_article_file(path) for path in sorted((KNOWLEDGE / "demo_kb").glob("*.md"))]
    return {**examples, "articles": articles}


# -- the demo knowledge base --------------------------------------------------------------


def test_demo_kb_covers_every_topic_in_the_core_languages(kb):
    entries = kb["articles"]
    required = {"slug", "topic", "language", "title", "body", "keywords"}
    assert all(required <= set(entry) for entry in entries)
    by_slug: dict[str, set[str]] = {}
    for entry in entries:
        by_slug.setdefault(entry["slug"], set()).add(entry["language"])
        assert entry["keywords"] and entry["body"].strip() and entry["title"].strip()
    topics = {entry["topic"] for entry in entries}
    assert {"shipping", "returns", "refunds", "account", "orders", "payment"} <= topics
    for slug, languages in by_slug.items():
        if languages == {"en"}:
            continue  # English-only on purpose (warranty, international-shipping, loyalty-points)
        assert set(CORE_LANGUAGES) <= languages, slug
    pairs = [(e["slug"], e["language"]) for e in entries]
    assert len(pairs) == len(set(pairs))


def test_demo_kb_has_few_shot_examples_per_language(kb):
    languages = {entry["language"] for entry in kb["articles"]}
    assert set(kb["examples"]) == languages
    for language, pairs in kb["examples"].items():
        assert 2 <= len(pairs) <= 3, language
        assert all(len(pair) == 2 and all(p.strip() for p in pair) for pair in pairs)
