"""Prompts that ask the serving model for a translation (the agent console's machine
translation). Like ``prompting``, this knows models, not Django."""

from __future__ import annotations

from inference_worker.prompting import RenderedPrompt, language_name, one_line, strip_bos

# A base model continues a pattern: two short pairs show it the shape and where to stop.
# Personal data reach the engine as placeholders ("[EMAIL]"), which the translation keeps.
_BASE_EXAMPLES = (
    (
        "en",
        "Where is my parcel? I wrote to [EMAIL].",
        "de",
        "Wo ist mein Paket? Ich habe an [EMAIL] geschrieben.",
    ),
    ("fr", "Merci, c'est réglé.", "en", "Thanks, that's sorted."),
)


def translation_prompt(
    tokenizer, text: str, *, source: str, target: str, instruct: bool
) -> RenderedPrompt:
    src, tgt = language_name(source), language_name(target)
    if instruct:
        messages = [
            {
                "role": "system",
                "content": f"Translate the user's message from {src} to {tgt}. Reply with the "
                "translation only, keeping names, numbers, order ids and placeholders such as "
                "[EMAIL] unchanged.",
            },
            {"role": "user", "content": text},
        ]
        rendered = tokenizer.apply_chat_template(
            messages, add_generation_prompt=True, tokenize=False
        )
        return RenderedPrompt(text=strip_bos(tokenizer, rendered), stop_strings=())
    lines = []
    for s_code, s_text, t_code, t_text in _BASE_EXAMPLES:
        lines.append(f"{language_name(s_code)}: {s_text}\n{language_name(t_code)}: {t_text}\n")
    lines.append(f"{src}: {one_line(text)}\n{tgt}:")
    return RenderedPrompt(text="\n".join(lines), stop_strings=("\n",))
