"""The reply lifecycle under both transports, the way each deployment builds it.

``inprocess``: the embedded default's dispatcher, frames on the test's own event loop and
the in-memory channel layer. ``celery``: the runtime as a Celery worker process builds it
(its own publishing loop, Redis job records, the Redis channel layer and cache on a private
redis-server), with the job run on a task thread as the Celery task does. The real Celery
worker process, end to end, is covered in ``tests/workers``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest

from supportbot.channel_layers import redis_channel_layer
from tests.serving.scripted import ScriptedEngine
from tests.workers.conftest import redis_server  # noqa: F401 (fixture)


@dataclass
class Transport:
    name: str
    engine: ScriptedEngine
    runtime_factory: object = None
    runtime: object = None

    async def run(self, job):
        """Generate and store the reply to ``job`` as this transport does; returns the
        serve result (in-process: once the background finish is done)."""
        from supportbot.chat.dispatching import get_dispatcher

        if self.name == "inprocess":
            dispatcher = get_dispatcher()
            await dispatcher.dispatch(job)
            loop = asyncio.get_running_loop()
            while dispatcher.is_generating(job.request_id):
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.05)  # let the finishing callbacks run
            return None
        if self.runtime is None:
            self.runtime = self.runtime_factory()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.runtime.serve, job)

    async def run_and_abort(self, job, after_s: float):
        """Start ``job`` and stop it ``after_s`` later as this transport does: the embedded
        engine when the customer's last socket has gone (grace period 0 here), a worker's
        runtime on request."""
        from supportbot.chat.dispatching import get_dispatcher

        loop = asyncio.get_running_loop()
        if self.name == "inprocess":
            dispatcher = get_dispatcher()
            dispatcher.customer_joined(job.conversation)
            await dispatcher.dispatch(job)
            await asyncio.sleep(after_s)
            dispatcher.customer_left(job.conversation)
            while dispatcher.is_generating(job.request_id):
                await asyncio.sleep(0.02)
            await asyncio.sleep(0.05)
            return
        if self.runtime is None:
            self.runtime = self.runtime_factory()
        serving = loop.run_in_executor(None, self.runtime.serve, job)
        await asyncio.sleep(after_s)
        self.runtime.abort(job.request_id)
        return await serving


@pytest.fixture(params=["inprocess", "celery"])
def transport(request, tiny_moe, settings, transactional_db, tmp_path):
    """Yields a ``Transport`` whose engine speaks ``transport.engine.pieces``."""
    from supportbot.chat.dispatching import get_dispatcher, reset_dispatcher

    engine = ScriptedEngine(tiny_moe.tokenizer, ["Hello."])
    reset_dispatcher()
    if request.param == "inprocess":
        dispatcher = get_dispatcher()
        dispatcher.install_engine("default", engine)
        yield Transport("inprocess", engine)
        reset_dispatcher()
        return
    server = request.getfixturevalue("redis_server")
    import redis

    client = redis.Redis.from_url(server.url())
    client.flushall()
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(server.url())}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url(),
        }
    }

    def build():
        from inference_worker.serving import WorkerRuntime
        from supportbot.serving.job_registry import RedisJobRecords
        from supportbot.serving.worker_adapter import DjangoReplySink

        return WorkerRuntime(
            engine,
            DjangoReplySink(RedisJobRecords(client)),
            worker="test-worker",
            variant="default",
            coalesce_s=0.03,
            job_timeout_s=settings.SUPPORTBOT["GENERATION_TIMEOUT_S"],
        )

    transport = Transport("celery", engine, build)
    yield transport
    if transport.runtime is not None:
        transport.runtime.close()
    reset_dispatcher()
