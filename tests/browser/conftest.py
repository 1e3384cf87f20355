"""A real server (daphne, own SQLite file, tiny model) and Debian's chromium via Playwright."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


READY_WITHIN_S = 300
SERVER_LOG_LINES = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).exists():
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class LiveServer:
    """The running server: where it listens, its environment and its SQLite file."""

    url: str
    env: dict[str, str]
    db_path: Path
    log_path: Path

    def manage(self, *args: str, env: dict[str, str] | None = None) -> str:
        """Run ``manage.py`` against the server's database; returns its stdout."""
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(env or {})},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout


@pytest.fixture(scope="session")
def daphne_server(tmp_path_factory):
    """daphne serving the project on a free loopback port, stopped at the end."""
    work = tmp_path_factory.mktemp("live")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "supportbot.settings",
        "DEBUG": "1",
        "DATABASE_URL": f"sqlite:///{work / 'db.sqlite3'}",
        "SUPPORTBOT_MODEL": "tiny-moe",
        "SUPPORTBOT_MAX_NEW_TOKENS": "40",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SUPPORTBOT_PRELOAD": "1",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    port = _free_port()
    log = open(work / "server.log", "wb")  # noqa: SIM115 - closed at teardown
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "supportbot.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    # Ready, not just up: with SUPPORTBOT_PRELOAD the model and the filters load in the
    # background (a minute or more when CI runs its two passes side by side), and a first
    # message sent meanwhile waits for them past any assertion's patience.
    deadline = time.monotonic() + READY_WITHIN_S
    while True:
        try:
            urllib.request.urlopen(f"{url}/readyz", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError((work / "server.log").read_text(errors="replace")) from None
            time.sleep(0.5)
    yield LiveServer(url=url, env=env, db_path=work / "db.sqlite3", log_path=work / "server.log")
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


@pytest.fixture(scope="session")
def live_server_url(daphne_server):
    return daphne_server.url


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is required in CI (.ci/run installs Debian's package)")
        pytest.skip("no chromium found; install Debian's 'chromium' package to run browser tests")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="en-US")
    page = context.new_page()
    yield page
    context.close()


# Generous but bounded: on 2 busy CPU cores a reply, a claim or a handoff can take seconds.
TIMEOUT_MS = 30_000


@pytest.fixture
def new_page(browser):
    """Pages in contexts of their own (separate cookies and storage), closed after the test."""
    contexts = []

    def make():
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, locale="en-US", accept_downloads=True
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture(autouse=True, scope="module")
def _patient_expect():
    """Assertions wait as long as a slow CI machine needs (TIMEOUT_MS), then go back to
    Playwright's default for whatever runs next."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    yield
    expect.set_options(timeout=None)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test shows the end of the server's log: what the server did (or
    raised) is half of what went wrong, and CI keeps nothing else."""
    report = yield
    # Fixtures the test uses through others are in funcargs too.
    server = getattr(item, "funcargs", {}).get("daphne_server")
    if report.failed and server is not None and server.log_path.exists():
        lines = server.log_path.read_text(errors="replace").splitlines()[-SERVER_LOG_LINES:]
        report.sections.append(("daphne server log (the end)", "\n".join(lines)))
    return report
