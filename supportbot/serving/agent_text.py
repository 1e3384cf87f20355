"""Text for agents from the serving engine: drafts of a reply and translations.

Where the engine lives decides how the text comes back. In the embedded default the engine is
a thread of this process and is called directly. Behind Celery the request goes to a worker
of the conversation's variant (``supportbot.serving.tasks.agent_text``), which sends the text
to the asking console's own channel; the console's ``EngineClient`` waits for it. Nothing is
stored by the worker: the caller decides what to keep.
"""

from __future__ import annotations

import asyncio
import uuid

from django.conf import settings

from inference_worker.jobs import ReplyJob
from inference_worker.prompting import render_prompt
from inference_worker.sequence import GenerationRequest
from inference_worker.translating import translation_prompt

TIMEOUT_S = 90.0


def generate_locally(engine, request: dict) -> str:
    """Run one ``translate`` or ``draft`` request on ``engine`` and return the final text."""
    request_id = f"{request['kind']}-{request['id']}"
    if request["kind"] == "translate":
        prompt = translation_prompt(
            engine.tokenizer,
            request["text"],
            source=request["source"],
            target=request["target"],
            instruct=engine.is_instruct,
        )
        generation = GenerationRequest(
            request_id=request_id,
            prompt=prompt.text,
            max_new_tokens=max(32, min(512, len(request["text"]) * 2)),
            stop_strings=prompt.stop_strings,
        )
    elif request["kind"] == "draft":
        job = ReplyJob.from_dict(request["job"])
        prompt = render_prompt(engine.tokenizer, job.prompt, instruct=engine.is_instruct)
        generation = GenerationRequest(
            request_id=request_id,
            prompt=prompt.text,
            max_new_tokens=job.max_new_tokens,
            stop_strings=prompt.stop_strings,
        )
    else:
        raise ValueError(f"unknown request kind {request['kind']!r}")
    final = ""
    for event in engine.stream(generation, timeout=TIMEOUT_S):
        if event.done:
            final = event.text
    return final.strip()


class EngineClient:
    """One console's way to the engine; it also receives the workers' answers."""

    def __init__(self, reply_channel: str) -> None:
        self.reply_channel = reply_channel
        self._waiting: dict[str, asyncio.Future[str]] = {}

    async def generate(self, request: dict, *, variant: str) -> str:
        """The engine's text for ``request`` (``kind`` translate or draft); "" for none."""
        request = {**request, "id": uuid.uuid4().hex}
        if settings.SUPPORTBOT["ENGINE"] == "inprocess":
            from supportbot.chat.dispatching import get_dispatcher

            loop = asyncio.get_running_loop()
            engine = await loop.run_in_executor(None, get_dispatcher().engine, variant)
            return await loop.run_in_executor(None, generate_locally, engine, request)
        return await self._via_worker(request, variant)

    async def _via_worker(self, request: dict, variant: str) -> str:
        from asgiref.sync import sync_to_async

        from supportbot.serving.queues import variant_queue
        from supportbot.serving.tasks import agent_text

        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting[request["id"]] = future
        try:
            await sync_to_async(agent_text.apply_async, thread_sensitive=False)(
                ({**request, "reply_channel": self.reply_channel},),
                queue=variant_queue(variant),
                retry=True,
                argsrepr="(<agent text request>)",  # customer words stay out of task logs
            )
            return await asyncio.wait_for(future, TIMEOUT_S)
        except TimeoutError:
            return ""
        finally:
            self._waiting.pop(request["id"], None)

    def resolve(self, request_id: str, text: str) -> None:
        future = self._waiting.get(request_id)
        if future is not None and not future.done():
            future.set_result(text)

    def cancel_all(self) -> None:
        for future in self._waiting.values():
            future.cancel()
