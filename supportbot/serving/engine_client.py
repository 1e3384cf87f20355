"""One console's way to the engine for drafts and translations (``agent_text`` writes them).

Where the engine lives decides how the text comes back. In the embedded default the engine is
a thread of this process and is called directly. Behind Celery the request goes to a worker
of the conversation's variant (``supportbot.serving.tasks.agent_text``): a draft on the
variant's reply queue, a translation on its own ``translate.<variant>`` queue. The worker
sends the text to the asking console's own channel; ``EngineClient`` waits for it.

Text for agents is work on the same engines as the customers' replies, so it is held to the
same bound (``SUPPORTBOT_MAX_WAITING``): past it, ``EngineBusy`` and nothing is queued.
"""

from __future__ import annotations

import asyncio
import uuid

from django.conf import settings

from supportbot.serving.agent_text import TIMEOUT_S, generate_locally


class EngineBusy(Exception):
    """Too much work is waiting for the engine; the request was not queued."""


class EngineClient:
    """One console's way to the engine; it also receives the workers' answers."""

    def __init__(self, reply_channel: str) -> None:
        self.reply_channel = reply_channel
        self._waiting: dict[str, asyncio.Future[str]] = {}

    async def generate(self, request: dict, *, variant: str) -> str:
        """The engine's text for ``request`` (``kind`` translate or draft); "" for none.
        ``EngineBusy`` when the engine's queue is full."""
        request = {**request, "id": uuid.uuid4().hex, "variant": variant}
        if settings.SUPPORTBOT["ENGINE"] == "inprocess":
            return await self._in_process(request, variant)
        return await self._via_worker(request, variant)

    @staticmethod
    async def _in_process(request: dict, variant: str) -> str:
        from inference_worker.scheduler import QueueFull
        from supportbot.chat.dispatching import get_dispatcher

        loop = asyncio.get_running_loop()
        engine = await loop.run_in_executor(None, get_dispatcher().engine, variant)
        try:
            # The engine refuses past its ``max_waiting``, the bound replies have too.
            return await loop.run_in_executor(None, generate_locally, engine, request)
        except QueueFull as exc:
            raise EngineBusy(str(exc)) from exc

    async def _via_worker(self, request: dict, variant: str) -> str:
        from asgiref.sync import sync_to_async

        from supportbot.serving.tasks import agent_text

        queue = await sync_to_async(_queue_with_room, thread_sensitive=False)(
            request["kind"], variant
        )
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiting[request["id"]] = future
        try:
            await sync_to_async(agent_text.apply_async, thread_sensitive=False)(
                ({**request, "reply_channel": self.reply_channel},),
                queue=queue,
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


def _queue_with_room(kind: str, variant: str) -> str:
    """The queue for a request of ``kind``, or ``EngineBusy`` when the variant's workers
    already have ``SUPPORTBOT_MAX_WAITING`` jobs waiting (replies and translations)."""
    from supportbot.serving.celery_dispatch import queue_depth
    from supportbot.serving.queues import translate_queue, variant_queue

    replies, translations = variant_queue(variant), translate_queue(variant)
    waiting = queue_depth(replies) + queue_depth(translations)
    if waiting >= settings.SUPPORTBOT["MAX_WAITING"]:
        raise EngineBusy(f"{waiting} jobs waiting for {variant}")
    return translations if kind == "translate" else replies
