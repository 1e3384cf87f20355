"""/readyz: 503 while the warm-up loads what the first customer would wait for, 200 after;
the warm-up's own bookkeeping; and a real daphne with SUPPORTBOT_PRELOAD going from
warming to ready."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from supportbot.ops import warmup

ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


# ------------------------------------------------------------------ bookkeeping
def test_a_step_is_pending_until_it_returns_then_ready():
    gate = threading.Event()
    steps = warmup.Warmup()
    assert steps.state().ready

    steps.run("slow", gate.wait)

    assert steps.state() == warmup.WarmupState(pending=("slow",), failed=())
    assert not steps.state().ready
    gate.set()
    wait_until(lambda: steps.state().ready)
    assert steps.state().failed == ()


def test_a_failed_step_is_listed_and_does_not_hold_readiness_back(caplog):
    steps = warmup.Warmup()

    def broken() -> None:
        raise OSError("weights not found")

    steps.run("model", broken)

    wait_until(lambda: steps.state().ready)
    assert steps.state().failed == ("model",)
    assert "warm-up model failed" in caplog.text


def test_a_step_runs_once_per_name():
    calls = []
    gate = threading.Event()
    steps = warmup.Warmup()

    steps.run("filters", lambda: (calls.append(1), gate.wait()))
    steps.run("filters", lambda: calls.append(2))
    gate.set()

    wait_until(lambda: steps.state().ready)
    assert calls == [1]


# ------------------------------------------------------------------ the endpoint
@pytest.mark.django_db
def test_readyz_answers_503_while_a_step_loads_then_200(client):
    gate = threading.Event()
    warmup.current().run("test-readyz-step", gate.wait)
    try:
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "warming"
        assert "test-readyz-step" in response.json()["pending"]
    finally:
        gate.set()
    wait_until(lambda: warmup.current().state().ready)

    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "pending": [], "failed": []}


@pytest.mark.django_db
def test_readyz_is_ready_at_once_without_a_warm_up(client):
    """Without SUPPORTBOT_PRELOAD nothing is loaded ahead: everything loads on first use."""
    assert client.get("/readyz").status_code == 200


@pytest.mark.django_db
def test_readyz_takes_get_only(client):
    assert client.post("/readyz").status_code == 405


# ------------------------------------------------------------------ a real server
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, dict] | None:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return None


def test_a_preloading_server_is_up_at_once_and_ready_once_warm(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportbot.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "SUPPORTBOT_MODEL": "tiny-moe",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SUPPORTBOT_PRELOAD": "1",
        # No kept vectors: the detectors' banks are embedded, which takes seconds.
        "SUPPORTBOT_VECTOR_DIR": str(tmp_path / "vectors"),
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with (tmp_path / "server.log").open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
             "supportbot.asgi:application"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 120
            while (health := _get(f"{url}/healthz")) is None:
                assert server.poll() is None and time.monotonic() < deadline, "never up"
                time.sleep(0.1)
            # Up at once; the filters alone take seconds to load, so not ready yet.
            assert health[0] == 200
            status, body = _get(f"{url}/readyz")
            assert (status, body["status"]) == (503, "warming"), body
            assert set(body["pending"]) <= {"model", "filters"} and body["pending"], body

            deadline = time.monotonic() + 300
            while (ready := _get(f"{url}/readyz"))[0] != 200:
                assert time.monotonic() < deadline, ready
                time.sleep(0.2)
            assert ready[1] == {"status": "ready", "pending": [], "failed": []}
        finally:
            server.terminate()
            server.wait(10)
    text = (tmp_path / "server.log").read_text(errors="replace")
    assert "warm-up model done" in text and "warm-up filters done" in text, text[-3000:]
    # What it embedded is kept for the next start.
    kept = {path.name.split("-multilingual")[0] for path in (tmp_path / "vectors").iterdir()}
    assert {"bank-human_request_examples", "bank-negative_sentiment_examples"} <= kept, kept
