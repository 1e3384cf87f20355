"""Latency of the whole production path: web -> Redis -> Celery worker -> Redis -> web.

    python bench/stack.py --concurrency 32 --json

Starts what it needs on loopback (a private redis-server, a SQLite database in a temporary
folder, daphne serving the ASGI app in Celery mode, one Celery worker with the tiny MoE),
then N customers open conversations over the real HTTP API and WebSocket protocol and
chat for ``--rounds`` questions each, pausing like people between an answer and their
next question (``--burst``: all ask at the same instant instead). For every reply it
pairs what the customer saw (message sent -> first ``bot.delta``) with what the engine
measured for the same reply (engine submit -> first visible token, stored with the
reply), so the difference is the stack's own overhead in the same run: the baseline is
the engine, measured under the same load.
Everything it started is stopped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import websockets

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = [
    "Where is my order?",
    "How long does shipping to Germany take?",
    "Can I return shoes that do not fit?",
    "My refund has not arrived yet.",
    "Wie lange dauert der Versand?",
    "¿Cómo puedo devolver un producto?",
    "Où est ma commande ?",
    "配送にはどのくらいかかりますか？",
]
TARGET_OVERHEAD_P50_MS = 15.0
TARGET_OVERHEAD_P99_MS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return round(ordered[index], 2)


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


class Stack:
    """The processes of one production-shaped deployment on loopback."""

    def __init__(self, workdir: Path, args: argparse.Namespace) -> None:
        self.workdir = workdir
        self.redis_port = free_port()
        self.web_port = free_port()
        self.processes: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "supportbot.settings",
            "DEBUG": "1",
            "SUPPORTBOT_VAR_DIR": str(workdir),
            "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
            "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
            "SUPPORTBOT_ENGINE": args.engine,
            "SUPPORTBOT_PRELOAD": "1",
            "SUPPORTBOT_MAX_BATCH_SIZE": str(args.concurrency),
            "SUPPORTBOT_MODEL": args.model,
            "SUPPORTBOT_MAX_NEW_TOKENS": str(args.new_tokens),
            "SUPPORTBOT_MAX_WAITING": str(max(64, args.concurrency * 2)),
            "SUPPORTBOT_CONVERSATIONS_PER_HOUR": "100000",
            # Every simulated customer shares one loopback address: lift the per-address
            # budgets too (what they cost is measured all the same: the checks still run).
            "SUPPORTBOT_RATE_LIMIT_MESSAGES": "1000",
            "SUPPORTBOT_RATE_LIMIT_ADDRESS_MESSAGES": "1000000",
            "SUPPORTBOT_RATE_LIMIT_RESUMES": "1000",
            "SUPPORTBOT_RATE_LIMIT_ADDRESS_RESUMES": "1000000",
            "SUPPORTBOT_COALESCE_MS": str(args.coalesce_ms),
            "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
            # The transport is what this measures; the guard's hold-back (it waits for a
            # checkpoint before the first text) is measured by bench/guard_latency.py.
            "SUPPORTBOT_OUTPUT_GUARD": "1" if args.output_guard else "0",
            # The CPU model shares this machine's cores with the web, Redis and the clients;
            # on a GPU worker the compute is elsewhere. Leave the rest of the stack a core.
            "OMP_NUM_THREADS": str(args.torch_threads),
        }
        self.server = f"http://127.0.0.1:{self.web_port}"

    def spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        log = (self.workdir / f"{name}.log").open("wb")
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        self.processes.append(process)
        return process

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")

    def start(self, concurrency: int, engine: str) -> None:
        self.spawn(
            "redis",
            ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.workdir)],
        )  # fmt: skip
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        worker = None
        if engine == "celery":
            worker = self.spawn(
                "worker",
                [sys.executable, "-m", "celery", "-A", "supportbot", "worker",
                 "-Q", "variant.default", "-P", "threads", "-c", str(concurrency),
                 "-n", "bench@%h", "-l", "info", "--without-gossip", "--without-mingle",
                 "--without-heartbeat"],
            )  # fmt: skip
        web = self.spawn(
            "web",
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.web_port),
             "supportbot.asgi:application"],
        )  # fmt: skip

        def ready(process: subprocess.Popen, name: str, check) -> bool:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited:\n{self.log(name)[-3000:]}")
            return check()

        if worker is not None:
            wait_for(lambda: ready(worker, "worker", lambda: " ready." in self.log("worker")),
                     180, "the worker")  # fmt: skip
        # Ready, not just up: the filters load in the background (SUPPORTBOT_PRELOAD), and a
        # first message sent meanwhile would time their loading, not the product.
        wait_for(lambda: ready(web, "web", self._web_ready), 180, "the web server")

    def _web_ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.server}/readyz", timeout=2) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def open_conversation(server: str) -> dict:
    request = urllib.request.Request(
        f"{server}/api/conversations",
        data=json.dumps({"locale": "en", "visitor": f"bench-{uuid.uuid4().hex[:8]}"}).encode(),
        headers={"Content-Type": "application/json", "Origin": server},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


class Customer:
    def __init__(self, server: str, index: int) -> None:
        self.server = server
        self.index = index
        self.samples: list[dict] = []
        self.errors: list[str] = []

    async def run(
        self, rounds: int, start: asyncio.Barrier, timeout: float, think_s: float
    ) -> None:
        conversation = await asyncio.to_thread(open_conversation, self.server)
        url = self.server.replace("http", "ws", 1) + conversation["ws"]
        pause = random.Random(self.index)
        async with websockets.connect(
            url,
            origin=self.server,
            max_size=2**20,
            subprotocols=["supportbot", "supportbot.token." + conversation["token"]],
        ) as ws:
            for round_index in range(rounds):
                if think_s:
                    # A person reads the answer and types: arrivals spread out.
                    await asyncio.sleep(pause.uniform(0, 2 * think_s))
                else:
                    await start.wait()  # lock-step burst: every customer at the same instant
                question = QUESTIONS[(self.index + round_index) % len(QUESTIONS)]
                try:
                    self.samples.append(
                        await self.ask(ws, conversation["conversation"], question, timeout)
                    )
                except Exception as exc:  # every failure is reported
                    self.errors.append(f"{type(exc).__name__}: {exc}")

    async def ask(self, ws, conversation: str, question: str, timeout: float) -> dict:
        client_id = str(uuid.uuid4())
        sent = time.perf_counter()
        sample: dict = {"conversation": conversation, "sent_at": time.time()}
        await ws.send(json.dumps({"type": "message", "client_id": client_id, "text": question}))
        while True:
            frame = json.loads(await asyncio.wait_for(ws.recv(), timeout))
            now_ms = (time.perf_counter() - sent) * 1000
            kind = frame.get("type")
            if kind == "ack":
                sample["seq"] = frame["seq"]
                sample["ack_ms"] = now_ms
            elif kind == "bot.delta" and "ttft_ms" not in sample:
                sample["ttft_ms"] = now_ms
                sample["first_delta_at"] = time.time()
            elif kind == "bot.done":
                if frame.get("seq") is None:
                    raise RuntimeError("the reply failed (bot.done without a stored reply)")
                sample["done_ms"] = now_ms
                return sample
            elif kind == "error":
                raise RuntimeError(f"error frame {frame.get('code')}: {frame.get('detail')}")


async def run_customers(
    server: str, concurrency: int, rounds: int, timeout: float, think_s: float
) -> list[Customer]:
    barrier = asyncio.Barrier(concurrency)
    customers = [Customer(server, i) for i in range(concurrency)]
    await asyncio.gather(*(c.run(rounds, barrier, timeout, think_s) for c in customers))
    return customers


def stored_timings(env: dict) -> dict[tuple[str, int], dict]:
    """Per (conversation, question seq): the timestamps the stack stored with each reply."""
    os.environ.update(env)  # the same settings and database as the stack
    import django

    django.setup()
    from supportbot.chat.models import ConversationEvent

    rows = ConversationEvent.objects.filter(kind=ConversationEvent.Kind.BOT_REPLIED).values_list(
        "conversation__public_id",
        "message__reply_to__seq",
        "message__reply_to__created_at",
        "message__queued_at",
        "message__first_token_at",
        "data",
    )
    timings = {}
    for public_id, seq, stored_at, queued_at, first_token_at, data in rows:
        if "engine_ttft_ms" not in data:
            continue
        first_token = first_token_at.timestamp()
        timings[(str(public_id), seq)] = {
            "engine_ttft_ms": data["engine_ttft_ms"],
            "stored_at": stored_at.timestamp(),
            "queued_at": queued_at.timestamp(),
            "engine_submitted_at": first_token - data["engine_ttft_ms"] / 1000,
            "first_token_at": first_token,
        }
    return timings


def breakdown(samples: list[dict], timings: dict) -> dict[str, float | None]:
    """Where the customer's wait went, hop by hop (wall clocks of one machine)."""
    hops: dict[str, list[float]] = {
        "web_store_ms": [],  # sent -> customer message stored
        "job_build_ms": [],  # stored -> reply job built (history, knowledge)
        "to_engine_ms": [],  # job built -> engine submit (broker, worker pickup, prompt)
        "to_customer_ms": [],  # first token -> first delta at the customer
    }
    for sample in samples:
        timing = timings.get((sample["conversation"], sample.get("seq")))
        if timing is None:
            continue
        hops["web_store_ms"].append((timing["stored_at"] - sample["sent_at"]) * 1000)
        hops["job_build_ms"].append((timing["queued_at"] - timing["stored_at"]) * 1000)
        hops["to_engine_ms"].append((timing["engine_submitted_at"] - timing["queued_at"]) * 1000)
        hops["to_customer_ms"].append((sample["first_delta_at"] - timing["first_token_at"]) * 1000)
    return {f"{name}_p50": percentile(values, 50) for name, values in hops.items()}


def summarize(customers: list[Customer], timings: dict, args: argparse.Namespace) -> dict:
    samples = [s for c in customers for s in c.samples if "ttft_ms" in s]
    errors = [e for c in customers for e in c.errors]
    ttft = [s["ttft_ms"] for s in samples]
    paired = [
        (s["ttft_ms"], timings[(s["conversation"], s["seq"])]["engine_ttft_ms"])
        for s in samples
        if (s["conversation"], s.get("seq")) in timings
    ]
    overhead = [client - inside for client, inside in paired]
    result = {
        "benchmark": "stack",
        "path": (
            "web -> redis -> celery worker -> redis -> web"
            if args.engine == "celery"
            else "web with the in-process engine (the embedded default), redis channel layer"
        ),
        "model": args.model,
        "concurrency": args.concurrency,
        # Web, worker, model, Redis and the customers all share these cores here; on a GPU
        # machine the model's compute leaves them.
        "cpu_cores": os.cpu_count(),
        "torch_threads": args.torch_threads,
        "rounds": args.rounds,
        "arrivals": "burst" if args.burst else f"think time uniform 0-{2 * args.think_s:g} s",
        "new_tokens": args.new_tokens,
        "output_guard": args.output_guard,
        "replies": len(samples),
        "paired_with_engine": len(paired),
        "errors": len(errors),
        "error_examples": errors[:5],
        "ack_p50_ms": percentile([s["ack_ms"] for s in samples if "ack_ms" in s], 50),
        "ttft_p50_ms": percentile(ttft, 50),
        "ttft_p99_ms": percentile(ttft, 99),
        "engine_ttft_p50_ms": percentile([inside for _, inside in paired], 50),
        "engine_ttft_p99_ms": percentile([inside for _, inside in paired], 99),
        "stack_overhead_p50_ms": percentile(overhead, 50),
        "stack_overhead_p99_ms": percentile(overhead, 99),
        "stack_overhead_mean_ms": round(statistics.fmean(overhead), 2) if overhead else None,
        "done_p50_ms": percentile([s["done_ms"] for s in samples], 50),
        "overhead_breakdown": breakdown(samples, timings),
        "target_overhead_p50_ms": TARGET_OVERHEAD_P50_MS,
        "target_overhead_p99_ms": TARGET_OVERHEAD_P99_MS,
    }
    result["meets_target"] = bool(
        overhead
        and not errors
        and result["stack_overhead_p50_ms"] <= TARGET_OVERHEAD_P50_MS
        and result["stack_overhead_p99_ms"] <= TARGET_OVERHEAD_P99_MS
    )
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4, help="questions per customer")
    parser.add_argument(
        "--think-s", type=float, default=1.0, help="mean pause before each question"
    )
    parser.add_argument(
        "--burst", action="store_true", help="every customer asks at the same instant"
    )
    parser.add_argument("--new-tokens", type=int, default=24)
    parser.add_argument("--model", default="tiny-moe")
    parser.add_argument(
        "--engine",
        choices=("celery", "inprocess"),
        default="celery",
        help="inprocess: the same load against the web-hosted engine, as a baseline",
    )
    parser.add_argument(
        "--output-guard", action="store_true", help="stream through the safety output guard"
    )
    parser.add_argument("--torch-threads", type=int, default=max(1, (os.cpu_count() or 2) // 2))
    parser.add_argument("--coalesce-ms", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--keep", action="store_true", help="keep the work folder and logs")
    parser.add_argument("--json", action="store_true", help="print only the JSON result")
    args = parser.parse_args()
    if shutil.which("redis-server") is None:
        parser.error("redis-server is needed (apt-get install redis-server)")

    workdir = Path(tempfile.mkdtemp(prefix="supportbot-stack-"))
    stack = Stack(workdir, args)
    try:
        stack.start(args.concurrency, args.engine)
        # One untimed round warms the model, the connections and the database.
        asyncio.run(run_customers(stack.server, min(args.concurrency, 4), 1, args.timeout, 0))
        think_s = 0.0 if args.burst else args.think_s
        customers = asyncio.run(
            run_customers(stack.server, args.concurrency, args.rounds, args.timeout, think_s)
        )
        result = summarize(customers, stored_timings(stack.env), args)
    finally:
        stack.stop()
        if args.keep:
            print(f"logs in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    if not args.json:
        print(f"stack overhead p50 {result['stack_overhead_p50_ms']} ms", file=sys.stderr)
    print(json.dumps(result, indent=2))
    return 0 if result["errors"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
