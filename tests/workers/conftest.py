"""A real broker and real Celery worker processes for the worker tests.

Each test gets workers it starts itself (``stack.start_worker``), all talking to a private
``redis-server`` on a free port, so stopping or flushing it never touches the machine's.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from supportbot.channel_layers import redis_channel_layer

ROOT = Path(__file__).resolve().parents[2]
WORKER_READY_S = 120


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """A throwaway redis-server (no persistence) that tests may stop and start again."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.process.poll() is None:
            if self._answering_pid() == self.process.pid:
                return
            time.sleep(0.05)
        # Another test run on this machine (CI runs two passes at once) may hold the port:
        # this server never answers as itself, so it must not be used.
        self.stop()
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def _answering_pid(self) -> int | None:
        import redis

        client = redis.Redis(
            host="127.0.0.1", port=self.port, socket_connect_timeout=0.2, socket_timeout=1
        )
        try:
            return int(client.info("server")["process_id"])
        except (redis.RedisError, OSError):
            return None
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None:
            if self.process.poll() is None:
                self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    if shutil.which("redis-server") is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI (apt-get install redis-server)")
        pytest.skip("the worker tests start their own redis-server, which is not installed")
    workdir = tmp_path_factory.mktemp("redis")
    for attempt in range(3):  # a port another run took meanwhile: try another
        server = RedisServer(workdir)
        try:
            server.start()
            break
        except RuntimeError:
            if attempt == 2:
                raise
    yield server
    server.stop()


def database_url() -> str:
    """The test database as a URL a worker process can open (after the test DB exists)."""
    from django.db import connection

    params = connection.settings_dict
    if params["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(params['NAME']).resolve()}"
    user = params.get("USER") or ""
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    host = params.get("HOST") or "127.0.0.1"
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{auth}{host}{port}/{params['NAME']}"


@dataclass
class Worker:
    name: str
    queue: str
    process: subprocess.Popen
    log: Path

    def kill(self) -> None:
        """SIGKILL: no shutdown, no ack, no cleanup, as when a GPU machine dies."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class WorkerStack:
    redis: RedisServer
    tmp: Path
    redelivery_timeout_s: int = 60
    broker_url: str = ""
    workers: list[Worker] = field(default_factory=list)

    def start_worker(self, variant: str, *, name: str | None = None, concurrency: int = 4):
        """A worker for ``variant``, once it says it is ready (its model is loaded)."""
        name = name or f"{variant}-{len(self.workers)}"
        worker = self.launch_worker([f"variant.{variant}"], name=name, concurrency=concurrency)
        deadline = time.monotonic() + WORKER_READY_S
        while time.monotonic() < deadline:
            if " ready." in worker.output():
                return worker
            if worker.process.poll() is not None:
                raise RuntimeError(f"worker {name} exited:\n{worker.output()[-4000:]}")
            time.sleep(0.1)
        worker.kill()
        raise RuntimeError(f"worker {name} not ready in {WORKER_READY_S}s:\n{worker.output()}")

    def launch_worker(self, queues: list[str], *, name: str, concurrency: int = 4) -> Worker:
        log = self.tmp / f"worker-{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DEBUG": "1",
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis.url(),
            "CELERY_BROKER_URL": self.broker_url,
            "SUPPORTBOT_ENGINE": "celery",
            "SUPPORTBOT_MODEL": "tiny-moe",
            "SUPPORTBOT_REDELIVERY_TIMEOUT_S": str(self.redelivery_timeout_s),
            "SUPPORTBOT_WORKER_METRICS_INTERVAL_S": "0.5",
        }
        command = [
            sys.executable, "-m", "celery", "-A", "supportbot", "worker", "-Q", ",".join(queues),
            "-P", "threads", "-c", str(concurrency), "-n", f"{name}@test", "-l", "info",
            "--without-gossip", "--without-mingle", "--without-heartbeat",
        ]  # fmt: skip
        with log.open("wb") as sink:
            process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT
            )
        worker = Worker(f"{name}@test", ",".join(queues), process, log)
        self.workers.append(worker)
        return worker

    def stop_all(self) -> None:
        for worker in self.workers:
            worker.stop()


def use_broker(url: str) -> None:
    """Point this process's Celery app at ``url``, dropping pooled connections."""
    from kombu import pools

    from supportbot.celery import app

    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None
    pools.reset()  # kombu keeps producer pools per connection in a process-wide registry


@pytest.fixture
def worker_stack(redis_server, settings, transactional_db, tmp_path):
    """The web side of this process switched to Celery mode, and a way to start workers."""
    import redis

    from supportbot.chat.dispatching import reset_dispatcher

    redis.Redis.from_url(redis_server.url()).flushall()
    # The workers use the deployment's layer settings; the server is private and flushed.
    settings.CHANNEL_LAYERS = {"default": redis_channel_layer(redis_server.url())}
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url(),
        }
    }
    settings.REDIS_URL = redis_server.url()  # where /metrics finds the workers' figures
    settings.SUPPORTBOT = {
        **settings.SUPPORTBOT,
        "ENGINE": "celery",
        "DISPATCHER": "supportbot.serving.celery_dispatch.CeleryDispatcher",
    }
    stack = WorkerStack(redis_server, tmp_path, broker_url=redis_server.url(1))
    use_broker(stack.broker_url)
    reset_dispatcher()
    yield stack
    stack.stop_all()
    reset_dispatcher()
    from django.conf import settings as live

    use_broker(live.CELERY_BROKER_URL)
