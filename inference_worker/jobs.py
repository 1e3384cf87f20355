"""A reply job: what the web app asks a worker to generate, as plain data."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from inference_worker.prompting import PromptSpec, RenderedPrompt, Turn, render_prompt
from inference_worker.sequence import GenerationRequest


@dataclass(slots=True)
class ReplyJob:
    conversation: str  # public uuid; also the channel-layer group key
    reply_to_id: int  # primary key of the customer message being answered
    reply_to_seq: int
    variant: str
    prompt: PromptSpec
    max_new_tokens: int | None = None
    queued_at: float = field(default_factory=time.time)
    # The knowledge-base articles the prompt carries ({slug, language, title, url}): the
    # reply cites them, and its facts are checked against ``prompt.knowledge``.
    sources: tuple[dict[str, str], ...] = ()
    # Set when the reply is the article's own words put into the customer's language: the
    # engine translates this text from ``translate_from`` instead of answering the prompt.
    translate_text: str = ""
    translate_from: str = ""

    @property
    def request_id(self) -> str:
        # Keyed by the message it answers, so a redelivered job is recognisably the same.
        return f"{self.conversation}:{self.reply_to_seq}"

    def render(self, tokenizer, *, instruct: bool) -> RenderedPrompt:
        """The prompt the engine gets: the answer prompt, or the translation of a passage."""
        if self.translate_text:
            from inference_worker.translating import translation_prompt

            return translation_prompt(
                tokenizer,
                self.translate_text,
                source=self.translate_from,
                target=self.prompt.language,
                instruct=instruct,
            )
        return render_prompt(tokenizer, self.prompt, instruct=instruct)

    def generation_request(self, prompt: RenderedPrompt) -> GenerationRequest:
        """What the engine is asked for, once the worker has rendered the prompt."""
        return GenerationRequest(
            request_id=self.request_id,
            prompt=prompt.text,
            max_new_tokens=self.max_new_tokens,
            stop_strings=prompt.stop_strings,
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReplyJob:
        prompt = dict(data["prompt"])
        prompt["history"] = tuple(Turn(**turn) for turn in prompt["history"])
        prompt["examples"] = tuple(tuple(pair) for pair in prompt["examples"])
        sources = tuple(dict(source) for source in data.get("sources", ()))
        return cls(**{**data, "prompt": PromptSpec(**prompt), "sources": sources})
