"""One console's way to the engine for drafts and translations (``agent_text`` writes them).

Where the engine lives decides how the text comes back. In the embedded default the engine is
a thread of this process and is called directly. Behind Celery the request goes to a worker
of the conversation's variant (``supportbot.serving.tasks.agent_text``), which sends the text
to the asking console's own channel; ``EngineClient`` waits for it.
"""

from __future__ import annotations

import asyncio
import uuid

from django.conf import settings

from supportbot.serving.agent_text import TIMEOUT_S, generate_locally


class EngineClient:
    """One console's way to the engine; it also receives the workers' answers."""

    def __init__(self, reply_channel: str) -> None:
        self.reply_channel = reply_channel
        self._waiting: dict[str, asyncio.Future[str]] = {}

    async def generate(self, request: dict, *, variant: str) -> str:
        """The engine's text for ``request`` (``kind`` translate or draft); "" for none."""
        request = {**request, "id": uuid.uuid4().hex, "variant": variant}
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
