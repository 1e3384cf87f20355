"""Fault injection: chats over real sockets while workers, Redis and the web process die.

    python bench/faults.py --json                      # 50 chats, 100 faults
    python bench/faults.py --chats 10 --faults 10 --seed 3 --json

Starts its own deployment on loopback (``bench/stack.py``'s ``Stack``: a scratch SQLite
database, daphne serving the ASGI app in Celery mode, a private redis-server, here with
``appendonly yes`` as in production, and two Celery workers with the tiny test model), then
runs ``--chats`` simulated widgets. Each opens its conversation over HTTP, keeps one socket,
asks questions with a fresh ``client_id`` each, and behaves as the widget does: on every
reconnect it sends ``resume`` from the last seq it saw and re-sends each message not yet
acknowledged with the same ``client_id``; a reply that stalls, or a ``bot.done`` that
reports a failure, makes it ``resume`` too.

Meanwhile it injects ``--faults`` faults, one every ``--fault-interval`` seconds, the kind
drawn with ``--seed``: SIGKILL a worker (a restart policy starts any dead worker again),
restart Redis (SIGTERM, start again on the same port), restart the web process (SIGTERM,
start again). ``--poison N``: N chats ask one question whose generation SIGKILLs its worker
(the test-only hook ``tests/workers/crash_hook.py``): it must be given up after
``SUPPORTBOT_MAX_REPLY_ATTEMPTS`` attempts with the failure and the offer of a person.

At the end every chat resumes once more, and the database is the judge: every acknowledged
message stored (``lost`` counts those missing), every stored reply delivered to its chat
(``delivered_after_resume``), none delivered twice as new text (``duplicated``: a seq the
client already had arriving again in a replay, or one question answered by two replies).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import QUESTIONS, Stack, wait_for

POISON_MARKER = "POISON-7f3a"  # tests/workers/crash_hook.py
FAULT_KINDS = ("worker_kill", "redis_restart", "web_restart")
WORKERS = 2


class FaultStack(Stack):
    """``Stack`` with two workers, a persistent Redis, and processes that can be restarted."""

    def __init__(self, workdir: Path, args: argparse.Namespace) -> None:
        super().__init__(workdir, args)
        self.env.update(
            {
                # The broker's backstop for jobs a killed worker had reserved but not started.
                "SUPPORTBOT_REDELIVERY_TIMEOUT_S": str(args.redelivery_timeout_s),
                "SUPPORTBOT_ABANDON_GRACE_S": "60",
                "SUPPORTBOT_CRASH_LOG": str(workdir / "crashes.log"),
            }
        )
        self.poison = args.poison > 0
        self.named: dict[str, subprocess.Popen] = {}
        self.restarts: Counter[str] = Counter()

    def spawn_named(self, name: str, command: list[str]) -> subprocess.Popen:
        log_name = f"{name}-{self.restarts[name]}"
        self.restarts[name] += 1
        process = self.spawn(log_name, command)
        self.named[name] = process
        return process

    def start_redis(self) -> None:
        self.spawn_named(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
             "--dir", str(self.workdir)],
        )  # fmt: skip
        wait_for(self._redis_answers, 30, "redis")

    def _redis_answers(self) -> bool:
        import socket

        try:
            with socket.create_connection(("127.0.0.1", self.redis_port), timeout=0.3) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start_worker(self, index: int) -> subprocess.Popen:
        # The poison hook is test code; without --poison the workers are plain Celery.
        module = "tests.workers.crash_hook" if self.poison else "celery"
        return self.spawn_named(
            f"worker{index}",
            [sys.executable, "-m", module, "-A", "supportbot", "worker",
             "-Q", "variant.default", "-P", "threads", "-c", "8",
             "-n", f"faults{index}@%h", "-l", "info", "--without-gossip",
             "--without-mingle", "--without-heartbeat"],
        )  # fmt: skip

    def worker_ready(self, index: int) -> bool:
        name = f"worker{index}"
        return self.named[name].poll() is None and " ready." in self.log(
            f"{name}-{self.restarts[name] - 1}"
        )

    def start_web(self) -> None:
        self.spawn_named(
            "web",
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.web_port),
             "supportbot.asgi:application"],
        )  # fmt: skip

    def web_ready(self) -> bool:
        return self.named["web"].poll() is None and self._web_ready()

    def start_all(self) -> None:
        self.start_redis()
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=Path(__file__).resolve().parent.parent,
            env=self.env,
            check=True,
        )
        for index in range(WORKERS):
            self.start_worker(index)
        self.start_web()
        wait_for(lambda: all(self.worker_ready(i) for i in range(WORKERS)), 300, "workers")
        wait_for(self.web_ready, 120, "the web server")

    @staticmethod
    def terminate(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
        if process.poll() is None:
            process.send_signal(sig)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    # -- faults ----------------------------------------------------------------------

    def kill_worker(self, index: int) -> None:
        """SIGKILL; ``supervise`` starts it again, as it does a worker a poison job killed."""
        self.terminate(self.named[f"worker{index}"], signal.SIGKILL)

    def restart_redis(self) -> None:
        self.terminate(self.named["redis"])
        self.start_redis()

    def restart_web(self) -> None:
        self.terminate(self.named["web"])
        self.start_web()


def http_json(url: str, body: dict, origin: str) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Origin": origin},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


@dataclass
class Chat:
    """One simulated widget and what it saw."""

    server: str
    index: int
    poison: bool
    conversation: str = ""
    token: str = ""
    ws_path: str = ""
    last_seq: int = 0
    outbox: dict[str, str] = field(default_factory=dict)  # client_id -> text, unacknowledged
    acked: dict[str, int] = field(default_factory=dict)  # client_id -> seq
    replies: dict[int, int] = field(default_factory=dict)  # reply seq -> reply_to seq
    seen: set[int] = field(default_factory=set)
    replayed_twice: list[int] = field(default_factory=list)
    reannounced: int = 0
    failures: int = 0
    given_up: list[int] = field(default_factory=list)  # reply_to seqs failed with an offer
    handed_over: bool = False
    replaying: bool = True  # between a resume and its resume.done
    resume_from: int = 0
    reconnects: int = 0
    errors: Counter = field(default_factory=Counter)

    async def open(self) -> None:
        while True:
            try:
                created = await asyncio.to_thread(
                    http_json,
                    f"{self.server}/api/conversations",
                    {"locale": "en", "visitor": f"faults-{self.index}"},
                    self.server,
                )
                break
            except (OSError, urllib.error.URLError):
                await asyncio.sleep(0.5)  # the web process is restarting
        self.conversation, self.token, self.ws_path = (
            created["conversation"], created["token"], created["ws"],
        )  # fmt: skip

    async def connect(self):
        url = self.server.replace("http", "ws", 1) + self.ws_path
        protocols = None
        if "token=" not in self.ws_path:
            protocols = ["supportbot", f"supportbot.token.{self.token}"]
        ws = await websockets.connect(
            url, origin=self.server, subprotocols=protocols, max_size=2**20, open_timeout=10
        )
        self.reconnects += 1
        # As the widget does: what it missed, then what it still owes the server.
        await self.resume(ws)
        for client_id, text in list(self.outbox.items()):
            await ws.send(json.dumps({"type": "message", "client_id": client_id, "text": text}))
        return ws

    async def resume(self, ws) -> None:
        self.resume_from = self.last_seq
        await ws.send(json.dumps({"type": "resume", "after_seq": self.last_seq}))

    def note_seq(self, seq: int, replaying: bool) -> bool:
        """True when ``seq`` is new to this chat."""
        if seq in self.seen:
            if replaying and seq <= self.resume_from:
                self.replayed_twice.append(seq)  # the server replayed what we said we had
            return False
        self.seen.add(seq)
        self.last_seq = max(self.last_seq, seq)
        return True

    def handle(self, frame: dict, waiting_for: str | None) -> str | None:
        """Apply one frame; returns "answered", "failed" or "resume" when the question
        ``waiting_for`` (a client_id) is settled or needs a resume."""
        kind = frame.get("type")
        if kind == "ack":
            self.outbox.pop(frame["client_id"], None)
            self.acked[frame["client_id"]] = frame["seq"]
            self.note_seq(frame["seq"], False)
        elif kind == "message":
            self.note_seq(frame["seq"], self.replaying)
            if frame.get("client_id") in self.outbox:
                self.outbox.pop(frame["client_id"])
                self.acked[frame["client_id"]] = frame["seq"]
        elif kind == "resume.done":
            self.replaying = False
        elif kind == "bot.done":
            asked = self.acked.get(waiting_for) if waiting_for else None
            if frame.get("seq") is None:
                self.failures += 1
                if frame.get("offer_handoff"):
                    self.given_up.append(frame["reply_to"])
                    if frame["reply_to"] == asked:
                        return "failed"
                return "resume" if frame["reply_to"] == asked else None
            if not self.note_seq(frame["seq"], self.replaying):
                self.reannounced += 1
            self.replies[frame["seq"]] = frame["reply_to"]
            if asked is not None and frame["reply_to"] >= asked:
                return "answered"
        elif kind == "handoff" and frame.get("state") != "bot":
            self.handed_over = True  # the bot stays silent from now on
            return "answered"
        elif kind == "error":
            self.errors[frame.get("code")] += 1
        return None

    async def run(self, questions: int, keep_going: asyncio.Event, stall_s: float) -> None:
        await self.open()
        ws = None
        asked = 0
        while (asked < questions or not keep_going.is_set()) and not self.handed_over:
            text = QUESTIONS[(self.index + asked) % len(QUESTIONS)]
            if self.poison and asked == 1:
                text = f"My order {POISON_MARKER} is late"
            client_id = str(uuid.uuid4())
            self.outbox[client_id] = text
            asked += 1
            sent = False
            while True:
                try:
                    if ws is None:
                        self.replaying = True
                        ws = await self.connect()
                        sent = True  # the outbox went with the connect
                    if not sent:
                        await ws.send(
                            json.dumps({"type": "message", "client_id": client_id, "text": text})
                        )
                        sent = True
                    raw = await asyncio.wait_for(ws.recv(), stall_s)
                except TimeoutError:
                    # A stalled reply: ask for what was missed (the widget's recovery).
                    with contextlib.suppress(Exception):
                        self.replaying = True
                        await self.resume(ws)
                    continue
                except Exception:
                    if ws is not None:
                        with contextlib.suppress(Exception):
                            await ws.close()
                    ws = None
                    await asyncio.sleep(0.3 + random.random())
                    continue
                outcome = self.handle(json.loads(raw), client_id)
                if outcome == "resume":
                    self.replaying = True
                    with contextlib.suppress(Exception):
                        await self.resume(ws)
                elif outcome in ("answered", "failed"):
                    break
            await asyncio.sleep(random.uniform(0.2, 1.5))  # reading, typing
        # The last look: everything stored since the last seq seen.
        await self.final_resume(ws)

    async def final_resume(self, ws) -> None:
        for _ in range(20):
            try:
                if ws is None:
                    self.replaying = True
                    ws = await self.connect()
                else:
                    self.replaying = True
                    await self.resume(ws)
                while True:
                    frame = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    self.handle(frame, None)
                    if frame.get("type") == "resume.done":
                        await ws.close()
                        return
            except Exception:
                ws = None
                await asyncio.sleep(1)


async def inject(stack: FaultStack, args, rng: random.Random, done: asyncio.Event, log: list):
    for number in range(args.faults):
        await asyncio.sleep(args.fault_interval)
        kind = rng.choice(FAULT_KINDS)
        ready = [i for i in range(WORKERS) if stack.worker_ready(i)]
        if kind == "worker_kill" and not ready:
            kind = rng.choice(FAULT_KINDS[1:])
        started = time.monotonic()
        if kind == "worker_kill":
            await asyncio.to_thread(stack.kill_worker, rng.choice(ready))
        elif kind == "redis_restart":
            await asyncio.to_thread(stack.restart_redis)
        else:
            await asyncio.to_thread(stack.restart_web)
        log.append({"n": number, "kind": kind, "s": round(time.monotonic() - started, 2)})
        if kind == "web_restart":
            # The next fault lands on a serving web process, or it only hits a corpse.
            await asyncio.to_thread(wait_for, stack.web_ready, 180, "the web server")
    done.set()


async def supervise(stack: FaultStack, stop: asyncio.Event) -> None:
    """A restart policy: a worker that died (a poison job, not only the injector) comes back."""
    while not stop.is_set():
        for index in range(WORKERS):
            if stack.named[f"worker{index}"].poll() is not None:
                await asyncio.to_thread(stack.start_worker, index)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


def judge(env: dict, chats: list[Chat]) -> dict:
    """What the database holds, against what each chat was told and shown."""
    os.environ.update(env)
    import django

    django.setup()
    from supportbot.chat.models import Actor, ConversationEvent, Message
    from supportbot.serving.models import ReplyAttempt

    lost = duplicated = delivered = undelivered = replies = 0
    for chat in chats:
        stored = {
            str(m.client_id): m.seq
            for m in Message.objects.filter(
                conversation__public_id=chat.conversation, role=Actor.CUSTOMER
            )
        }
        lost += sum(1 for cid, seq in chat.acked.items() if stored.get(cid) != seq)
        bot = list(
            Message.objects.filter(
                conversation__public_id=chat.conversation, role=Actor.BOT
            ).values_list("seq", "reply_to_id")
        )
        replies += len(bot)
        answered = Counter(reply_to for _seq, reply_to in bot if reply_to is not None)
        duplicated += sum(n - 1 for n in answered.values() if n > 1)
        duplicated += len(chat.replayed_twice)
        for seq, _reply_to in bot:
            if seq in chat.seen:
                delivered += 1
            else:
                undelivered += 1
    failed = Counter(
        ConversationEvent.objects.filter(
            kind=ConversationEvent.Kind.BOT_FAILED,
            conversation__public_id__in=[c.conversation for c in chats],
        ).values_list("reason", flat=True)
    )
    given_up = ReplyAttempt.objects.filter(given_up_at__isnull=False)
    attempts = list(given_up.values_list("started"))
    # Given up although no generation of it kills a worker: it only shared dying batches.
    ordinary = given_up.exclude(reply_to__text__contains=POISON_MARKER).count()
    return {
        "lost": lost,
        "duplicated": duplicated,
        "replies": replies,
        "delivered_after_resume": delivered,
        "undelivered": undelivered,
        "bot_failed": sum(failed.values()),
        "bot_failed_by_reason": dict(failed),
        "given_up_jobs": len(attempts),
        "given_up_attempts": sorted(a for (a,) in attempts),
        "given_up_ordinary": ordinary,
    }


async def main_async(stack: FaultStack, args) -> dict:
    rng = random.Random(args.seed)
    random.seed(args.seed)
    done = asyncio.Event()
    poisoned = set(rng.sample(range(args.chats), min(args.poison, args.chats)))
    chats = [Chat(stack.server, i, i in poisoned) for i in range(args.chats)]
    faults: list[dict] = []
    injector = asyncio.create_task(inject(stack, args, rng, done, faults))
    finished = asyncio.Event()
    supervisor = asyncio.create_task(supervise(stack, finished))
    await asyncio.gather(
        *(chat.run(args.questions, done, args.stall_s) for chat in chats), injector
    )
    finished.set()
    await supervisor
    return {"chats": chats, "faults": faults}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chats", type=int, default=50)
    parser.add_argument("--faults", type=int, default=100)
    parser.add_argument("--fault-interval", type=float, default=3.0)
    parser.add_argument("--questions", type=int, default=3, help="at least this many per chat")
    parser.add_argument("--poison", type=int, default=2, help="chats with a worker-killing job")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--stall-s", type=float, default=45.0, help="resume after this silence")
    parser.add_argument("--redelivery-timeout-s", type=int, default=60)
    parser.add_argument("--new-tokens", type=int, default=24)
    parser.add_argument("--torch-threads", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        parser.error("redis-server is needed (apt-get install redis-server)")
    # What Stack reads.
    args.engine, args.model, args.concurrency = "celery", "tiny-moe", 8
    args.coalesce_ms, args.output_guard = 30.0, False

    workdir = Path(tempfile.mkdtemp(prefix="supportbot-faults-"))
    stack = FaultStack(workdir, args)
    began = time.monotonic()
    try:
        stack.start_all()
        run = asyncio.run(main_async(stack, args))
        seconds = round(time.monotonic() - began, 1)
        verdict = judge(stack.env, run["chats"])
    finally:
        stack.stop()
        if args.keep:
            print(f"logs in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    chats = run["chats"]
    result = {
        "benchmark": "faults",
        "seed": args.seed,
        "chats": args.chats,
        "faults": len(run["faults"]),
        "faults_by_kind": dict(Counter(f["kind"] for f in run["faults"])),
        "acknowledged": sum(len(c.acked) for c in chats),
        "unacknowledged": sum(len(c.outbox) for c in chats),
        **verdict,
        "reannounced": sum(c.reannounced for c in chats),
        "failure_frames": sum(c.failures for c in chats),
        "offers_after_giving_up": sum(len(set(c.given_up)) for c in chats),
        "handed_over": sum(c.handed_over for c in chats),
        "reconnects": sum(c.reconnects for c in chats),
        "error_frames": dict(sum((c.errors for c in chats), Counter())),
        "poison_chats": args.poison,
        "seconds": seconds,
    }
    print(json.dumps(result, indent=None if args.json else 2))
    ok = result["lost"] == 0 and result["duplicated"] == 0 and result["undelivered"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
