"""A reply job that kills every worker that runs it is given up after N attempts.

Two real Celery workers whose engine SIGKILLs its own process on a marked prompt
(``crash_hook``), restarted when they die as a supervisor would; the job registry restarts
the dead workers' job each time. The count lives in the database, so it survives the
workers; after ``SUPPORTBOT_MAX_REPLY_ATTEMPTS`` (3) lost generations the job is dropped.
A reply that only shared the poison job's batch when it killed the worker is tried again,
alone, and answered.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from channels.db import database_sync_to_async

from supportbot.chat.models import Actor, ConversationEvent, Message
from supportbot.chat.replies import ATTEMPTS_EXHAUSTED
from supportbot.serving.models import ReplyAttempt
from tests.chat.helpers import receive_reply, receive_until, send_message
from tests.workers.conftest import ROOT, WORKER_READY_S, Worker, database_url
from tests.workers.crash_hook import CRASH_LOG_ENV, CRASH_MARKER, SLOW_MARKER
from tests.workers.test_worker_replies import on_variant, open_chat

pytestmark = pytest.mark.django_db(transaction=True)

# The default of SUPPORTBOT_MAX_REPLY_ATTEMPTS, which these workers run with.
ATTEMPTS = 3
VARIANT = "poison"


class CrashingWorkers:
    """``count`` workers running ``crash_hook``; a dead one is started again at once (like a
    restart policy), so the job always finds a worker to kill."""

    def __init__(self, stack, crash_log, count: int = 2) -> None:
        self.stack = stack
        self.crash_log = crash_log
        self.slots: list[Worker] = []
        self.started = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        for _ in range(count):
            self.slots.append(self._launch())
        for worker in self.slots:
            self._wait_ready(worker)

    def _launch(self) -> Worker:
        name = f"crashing-{self.started}"
        self.started += 1
        log = self.stack.tmp / f"worker-{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.stack.redis.url(),
            "CELERY_BROKER_URL": self.stack.broker_url,
            "SUPPORTBOT_ENGINE": "celery",
            "SUPPORTBOT_MODEL": "tiny-moe",
            # The broker's backstop stays out of the way: the registry restarts the job.
            "SUPPORTBOT_REDELIVERY_TIMEOUT_S": "300",
            CRASH_LOG_ENV: str(self.crash_log),
        }
        command = [
            sys.executable, "-m", "tests.workers.crash_hook", "-A", "supportbot", "worker",
            "-Q", f"variant.{VARIANT}", "-P", "threads", "-c", "2", "-n", f"{name}@test",
            "-l", "info", "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
            )
        worker = Worker(f"{name}@test", f"variant.{VARIANT}", process, log)
        self.stack.workers.append(worker)  # stopped with the stack
        return worker

    @staticmethod
    def _wait_ready(worker: Worker) -> None:
        deadline = time.monotonic() + WORKER_READY_S
        while " ready." not in worker.output():
            if worker.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{worker.name} did not start:\n{worker.output()[-3000:]}")
            time.sleep(0.1)

    def supervise(self) -> None:
        def loop() -> None:
            while not self._stop.wait(0.2):
                for index, worker in enumerate(self.slots):
                    if worker.process.poll() is not None:
                        self.slots[index] = self._launch()

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()

    def stop_supervising(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def crashes(crash_log) -> list[str]:
    return crash_log.read_text().split() if crash_log.exists() else []


def given_up_events(message: Message) -> list[ConversationEvent]:
    return list(
        ConversationEvent.objects.filter(
            kind=ConversationEvent.Kind.BOT_FAILED, message=message, reason=ATTEMPTS_EXHAUSTED
        )
    )


async def receive_failure(ws, timeout: float) -> list[dict]:
    """Frames up to the ``bot.done`` that reports no stored reply."""
    frames: list[dict] = []
    deadline = time.monotonic() + timeout
    while True:
        frame = await ws.receive_json_from(timeout=max(1.0, deadline - time.monotonic()))
        frames.append(frame)
        if frame["type"] == "bot.done":
            assert frame["seq"] is None, frame  # a poison job never produces a reply
            return frames


async def test_a_job_that_kills_every_worker_is_dropped_after_n_attempts(
    worker_stack, conversation_factory, connect, tmp_path
):
    crash_log = tmp_path / "crashes.log"
    workers = await database_sync_to_async(CrashingWorkers)(worker_stack, crash_log)
    workers.supervise()
    try:
        conversation, token = await database_sync_to_async(conversation_factory)()
        await database_sync_to_async(on_variant)(conversation, VARIANT)
        ws, connected = await connect(conversation, token)
        assert connected
        await send_message(ws, f"My order {CRASH_MARKER} is late")
        ack = (await receive_until(ws, "ack", timeout=180))[-1]

        # Each lost generation costs a heartbeat lapse (~10 s) and a worker restart.
        frames = await receive_failure(ws, timeout=400)
        failed = frames[-1]
        assert failed == {
            "type": "bot.done",
            "reply_to": ack["seq"],
            "seq": None,
            "text": "",
            "finish_reason": "error",
            "offer_handoff": True,
        }
        # The restarts the customer saw: one per lost generation after the first.
        assert [f["type"] for f in frames].count("bot.restart") == ATTEMPTS - 1

        # Attempted exactly N times, each in a different worker process, all killed.
        pids = crashes(crash_log)
        assert len(pids) == ATTEMPTS and len(set(pids)) == ATTEMPTS
        message = await database_sync_to_async(Message.objects.get)(
            conversation=conversation, seq=ack["seq"]
        )
        events = await database_sync_to_async(given_up_events)(message)
        assert len(events) == 1 and events[0].data == {"attempts": ATTEMPTS}
        row = await database_sync_to_async(ReplyAttempt.objects.get)(reply_to=message)
        assert (row.started, row.ended) == (ATTEMPTS, 0)
        assert row.given_up_at is not None
        assert row.blamed_deaths == ATTEMPTS - 1  # the first one cannot know it is a suspect

        # The widget reconnects and resumes: the server queues the unanswered message again,
        # and the workers refuse it at once, with the same offer, without running it.
        await ws.disconnect()
        ws, connected = await connect(conversation, token)
        assert connected
        await ws.send_json_to({"type": "resume", "after_seq": ack["seq"]})
        again = (await receive_failure(ws, timeout=180))[-1]
        assert again["reply_to"] == ack["seq"] and again["offer_handoff"] is True
        assert len(crashes(crash_log)) == ATTEMPTS
        assert len(await database_sync_to_async(given_up_events)(message)) == 1
        replies = await database_sync_to_async(
            lambda: Message.objects.filter(conversation=conversation, role=Actor.BOT).count()
        )()
        assert replies == 0
        await ws.disconnect()

        # The workers that survive it keep serving everyone else.
        for _ in range(2):
            _other, other_ws = await open_chat(conversation_factory, connect, VARIANT)
            await send_message(other_ws, "Do you ship to Norway?")
            _deltas, done = await receive_reply(other_ws, timeout=180)
            assert done["seq"] is not None
            await other_ws.disconnect()
        assert len(crashes(crash_log)) == ATTEMPTS
    finally:
        workers.stop_supervising()


def attempts_once_answered(conversation, ack: dict, timeout: float = 15.0) -> ReplyAttempt:
    """The reply's attempt counts, once the generation that answered it counted its end."""
    deadline = time.monotonic() + timeout
    while True:
        row = ReplyAttempt.objects.get(
            reply_to__seq=ack["seq"], reply_to__conversation=conversation
        )
        if row.ended > 0 or time.monotonic() > deadline:
            return row
        time.sleep(0.1)


async def test_a_reply_in_the_batch_a_poison_job_kills_is_tried_again_alone_and_answered(
    worker_stack, conversation_factory, connect, tmp_path
):
    crash_log = tmp_path / "crashes.log"
    # One worker process, two task threads: the two jobs share its engine's batch.
    workers = await database_sync_to_async(CrashingWorkers)(worker_stack, crash_log, count=1)
    workers.supervise()
    try:
        innocent, innocent_ws = await open_chat(conversation_factory, connect, VARIANT)
        await send_message(innocent_ws, f"Where is my parcel? {SLOW_MARKER}")
        innocent_ack = (await receive_until(innocent_ws, "ack", timeout=180))[-1]
        await receive_until(innocent_ws, "bot.delta", timeout=120)  # generating, slowly

        poison, poison_ws = await open_chat(conversation_factory, connect, VARIANT)
        await send_message(poison_ws, f"My order {CRASH_MARKER} is late")
        poison_ack = (await receive_until(poison_ws, "ack", timeout=60))[-1]

        failure = (await receive_failure(poison_ws, timeout=400))[-1]
        assert failure["offer_handoff"] is True
        frames = await receive_until(innocent_ws, "bot.done", timeout=300)
        done = frames[-1]
        assert done["reply_to"] == innocent_ack["seq"] and done["seq"] is not None
        assert "bot.restart" in [f["type"] for f in frames]

        pids = crashes(crash_log)
        assert len(pids) == ATTEMPTS and len(set(pids)) == ATTEMPTS

        # The worker counts the generation's end just after it announced the reply.
        innocent_row = await database_sync_to_async(attempts_once_answered)(innocent, innocent_ack)
        poison_row = await database_sync_to_async(
            lambda: ReplyAttempt.objects.get(
                reply_to__seq=poison_ack["seq"], reply_to__conversation=poison
            )
        )()
        # Died once in the poison job's company (not blamed), then answered alone.
        assert (innocent_row.started, innocent_row.ended) == (2, 1)
        assert (innocent_row.blamed_started, innocent_row.blamed_ended) == (1, 1)
        assert innocent_row.given_up_at is None
        # The poison job: once in company, then twice alone, then given up.
        assert (poison_row.started, poison_row.ended) == (ATTEMPTS, 0)
        assert poison_row.blamed_deaths == ATTEMPTS - 1
        assert poison_row.given_up_at is not None
        await innocent_ws.disconnect()
        await poison_ws.disconnect()
    finally:
        workers.stop_supervising()
