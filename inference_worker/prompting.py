"""Render a support conversation into model input: chat template or a plain-text transcript.

The text is meant to be encoded with ``add_special_tokens=True`` (the engine does so), so it
never starts with the tokenizer's own BOS token.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

# Gemma 3 270M answers worse as the context grows; instruct models take far more.
BASE_MAX_PROMPT_TOKENS = 640
INSTRUCT_MAX_PROMPT_TOKENS = 2048

LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "pt": "Portuguese",
    "it": "Italian", "nl": "Dutch", "pl": "Polish", "sv": "Swedish", "da": "Danish",
    "no": "Norwegian", "fi": "Finnish", "cs": "Czech", "ro": "Romanian", "hu": "Hungarian",
    "el": "Greek", "tr": "Turkish", "ru": "Russian", "uk": "Ukrainian", "ar": "Arabic",
    "he": "Hebrew", "fa": "Persian", "hi": "Hindi", "bn": "Bengali", "th": "Thai",
    "vi": "Vietnamese", "id": "Indonesian", "ms": "Malay", "zh": "Chinese", "ja": "Japanese",
    "ko": "Korean",
}  # fmt: skip

# Transcript labels for base models. English labels in every language measured best with
# Gemma 3 270M (see the module notes at the bottom); the table is kept for experiments.
ENGLISH_LABELS = ("Customer", "Agent")
LOCALIZED_LABELS = {
    "de": ("Kunde", "Support"), "fr": ("Client", "Support"), "es": ("Cliente", "Soporte"),
    "pt": ("Cliente", "Suporte"), "it": ("Cliente", "Assistenza"), "zh": ("客户", "客服"),
    "ja": ("お客様", "サポート"), "ko": ("고객", "상담원"), "ar": ("العميل", "الدعم"),
}  # fmt: skip
LOCALIZE_LABELS = False


@dataclass(frozen=True, slots=True)
class Turn:
    role: Literal["customer", "bot", "agent"]
    text: str


@dataclass(frozen=True, slots=True)
class PromptSpec:
    language: str  # ISO 639-1 of the customer
    # Knowledge-base snippets, one article per line, best first, in the customer's language
    # where available; base models are shown only the first line.
    knowledge: str
    examples: tuple[tuple[str, str], ...]  # few-shot (customer, bot) pairs in that language
    history: tuple[Turn, ...]  # the conversation so far; the last turn is the one to answer
    company: str = "Acme Shop"


@dataclass(frozen=True, slots=True)
class RenderedPrompt:
    text: str
    stop_strings: tuple[str, ...]


def language_name(code: str) -> str:
    base = (code or "en").split("-")[0].lower()
    return LANGUAGE_NAMES.get(base, base)


def render_prompt(
    tokenizer,
    spec: PromptSpec,
    *,
    instruct: bool,
    max_prompt_tokens: int | None = None,
) -> RenderedPrompt:
    """The prompt for the bot's next turn, dropping the oldest history to fit the token budget.

    The budget defaults to BASE_MAX_PROMPT_TOKENS or INSTRUCT_MAX_PROMPT_TOKENS. The newest turn
    is always kept (however long); once history is down to it, few-shot examples go next.
    Instruct models get no few-shot examples: the system message is enough for them.
    """
    if max_prompt_tokens is None:
        max_prompt_tokens = INSTRUCT_MAX_PROMPT_TOKENS if instruct else BASE_MAX_PROMPT_TOKENS
    render = _render_instruct if instruct else _render_base
    history = list(spec.history)
    examples = list(spec.examples)
    while True:
        prompt = render(tokenizer, spec, history, examples)
        if _count_tokens(tokenizer, prompt.text) <= max_prompt_tokens:
            return prompt
        if len(history) > 1:
            history.pop(0)
            # Start on a customer turn: a reply to a dropped question only confuses the model,
            # and some chat templates require the first turn to be the user's.
            while len(history) > 1 and history[0].role != "customer":
                history.pop(0)
        elif examples:
            examples.pop()
        else:
            return prompt


def _count_tokens(tokenizer, text: str) -> int:
    return len(tokenizer(text, add_special_tokens=True)["input_ids"])


def system_message(spec: PromptSpec) -> str:
    language = language_name(spec.language)
    knowledge = spec.knowledge.strip() or "(nothing relevant found)"
    return (
        f"You are a friendly customer-support agent for {spec.company}. Answer only from the "
        "knowledge below; if it does not cover the question, say you will pass it to a human "
        f"colleague. Keep it to 1-3 short sentences. Reply in {language}.\n\n"
        f"Knowledge:\n{knowledge}"
    )


def _render_instruct(
    tokenizer, spec: PromptSpec, history: Sequence[Turn], examples
) -> RenderedPrompt:
    messages = [{"role": "system", "content": system_message(spec)}]
    for turn in history:
        role = "user" if turn.role == "customer" else "assistant"
        # Several templates (Gemma, Mistral) reject two consecutive turns of one role.
        if messages[-1]["role"] == role:
            messages[-1]["content"] += "\n" + turn.text
        else:
            messages.append({"role": role, "content": turn.text})
    text = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
    return RenderedPrompt(text=strip_bos(tokenizer, text), stop_strings=())


def strip_bos(tokenizer, text: str) -> str:
    # Templates such as Gemma's write BOS themselves; the engine's encode adds another.
    bos = getattr(tokenizer, "bos_token", None)
    if bos and text.startswith(bos):
        probe = tokenizer("x", add_special_tokens=True)["input_ids"]
        if probe and probe[0] == tokenizer.bos_token_id:
            return text[len(bos) :]
    return text


def one_line(text: str) -> str:
    # The transcript is line-based and "\n\n" ends a turn, so a turn must stay on one line.
    return re.sub(r"\s+", " ", text).strip()


def labels_for(language: str) -> tuple[str, str]:
    if not LOCALIZE_LABELS:
        return ENGLISH_LABELS
    return LOCALIZED_LABELS.get(language.split("-")[0].lower(), ENGLISH_LABELS)


def _render_base(tokenizer, spec: PromptSpec, history: Sequence[Turn], examples) -> RenderedPrompt:
    customer, bot = labels_for(spec.language)
    lines = [f"{spec.company} customer support chat."]
    # Each example shows its answer as a fact first: a small base model then learns to answer
    # by restating the facts, which keeps it from inventing delivery times and prices.
    for question, answer in examples:
        answer = one_line(answer)
        lines += ["", f"Facts: {answer}", f"{customer}: {one_line(question)}", f"{bot}: {answer}"]
    lines.append("")
    # Only the best article (the knowledge's first line): given two, the 270M model often
    # copies the wrong one, e.g. shipping costs for a delivery-time question.
    best = next((one_line(line) for line in spec.knowledge.splitlines() if line.strip()), "")
    if best:
        lines.append(f"Facts: {best}")
    for turn in history:
        label = customer if turn.role == "customer" else bot
        lines.append(f"{label}: {one_line(turn.text)}")
    # One line per turn, so a new line ends the reply (and "Customer:" or "\n\n" with it).
    return RenderedPrompt(text="\n".join(lines) + f"\n{bot}:", stop_strings=("\n",))
