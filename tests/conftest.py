"""Shared fixtures: the tiny real model, personas (added per feature), live servers."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def tiny_moe():
    """The tiny random Qwen3-MoE (hidden 64, 2 layers, 8 experts, top-2), real tokenizer."""
    from inference_worker.loader import load_model

    return load_model("tiny-moe")


ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    """Budgets are shared through the cache (every test's sockets share one address)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def conversation_factory(transactional_db):
    """Open conversations the way the API does; returns (conversation, token)."""
    from supportbot.chat import services

    def make(locale: str | None = "en", visitor: str = "visitor-1"):
        return services.create_conversation(locale=locale, visitor_id=visitor, origin=ORIGIN)

    return make


@pytest.fixture
def connect(conversation_factory):
    """Open a customer socket through the full ASGI stack (origin check, auth, routing)."""
    from channels.testing import WebsocketCommunicator

    from supportbot.asgi import application
    from supportbot.chat.frames import socket_path, socket_subprotocols

    opened = []

    async def open_socket(conversation=None, token=None, *, origin: str = ORIGIN, path=None):
        """The token goes in Sec-WebSocket-Protocol, as the widget sends it."""
        if path is None:
            path = socket_path(conversation.public_id)
        communicator = WebsocketCommunicator(
            application,
            path,
            headers=[(b"origin", origin.encode()), (b"host", b"127.0.0.1")],
            subprotocols=socket_subprotocols(token) if token is not None else None,
        )
        connected, _ = await communicator.connect(timeout=10)
        opened.append(communicator)
        return communicator, connected

    yield open_socket


@pytest.fixture
def console(transactional_db):
    """Open the console socket as ``user`` (or anonymously with ``user=None``)."""
    from channels.db import database_sync_to_async
    from channels.testing import WebsocketCommunicator

    from supportbot.asgi import application
    from tests.agents.conftest import session_cookie

    opened: list[WebsocketCommunicator] = []

    async def open_console(user, *, origin: str = ORIGIN, accept_language: str = "en-GB,en"):
        headers = [
            (b"origin", origin.encode()),
            (b"host", b"127.0.0.1"),
            (b"accept-language", accept_language.encode()),
        ]
        if user is not None:
            cookie = await database_sync_to_async(session_cookie)(user)
            headers.append((b"cookie", cookie.encode()))
        communicator = WebsocketCommunicator(application, "/ws/agent/", headers=headers)
        connected, _ = await communicator.connect(timeout=10)
        opened.append(communicator)
        return communicator, connected

    yield open_console


@pytest.fixture(scope="session", autouse=True)
def _stop_engine_thread_at_exit():
    """End the in-process engine cleanly so torch's threads are not killed mid-step."""
    yield
    from django.conf import settings

    if not settings.configured:  # a run with the Django plugin disabled
        return
    from supportbot.chat.dispatching import get_dispatcher

    get_dispatcher().shutdown()


@pytest.fixture(autouse=True)
def _quiet_postgresql_before_flush(request):
    """On PostgreSQL, wait for other sessions (the in-process engine's threads storing a
    reply, a socket's database thread) to finish their transactions before the test's
    TRUNCATE: otherwise the flush and a late write can deadlock. SQLite needs none."""
    import os

    if not request.node.get_closest_marker("django_db") or not os.environ.get(
        "DATABASE_URL", ""
    ).startswith("postgres"):
        yield
        return
    request.getfixturevalue("_django_db_helper")  # so this teardown runs before its flush
    yield
    import time

    from django.db import connection

    deadline = time.monotonic() + 10
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND state IN ('active', 'idle in transaction')"
            )
            if cursor.fetchone()[0] == 0:
                return
            time.sleep(0.05)


@pytest.fixture(scope="session", autouse=True)
def _retry_a_deadlocked_flush_on_postgresql():
    """On PostgreSQL a transactional test's TRUNCATE can still meet a write that began after
    the wait above (a thread of the test finishing late, more often when CI runs both passes
    at once); PostgreSQL then aborts the TRUNCATE, whole. Flushing again, once that write is
    done, is all it takes."""
    import os

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        yield
        return
    import time

    from django.core.management.base import CommandError
    from django.db.utils import OperationalError
    from django.test import TransactionTestCase

    flush = TransactionTestCase._fixture_teardown

    def flush_again_after_a_deadlock(self) -> None:
        for attempt in range(3):
            try:
                return flush(self)
            except CommandError as exc:
                cause = exc.__cause__
                deadlock = isinstance(cause, OperationalError) and "deadlock" in str(cause)
                if not deadlock or attempt == 2:
                    raise
                time.sleep(1)

    TransactionTestCase._fixture_teardown = flush_again_after_a_deadlock
    yield
    TransactionTestCase._fixture_teardown = flush


DATABASE_FIXTURES = {"db", "transactional_db", "django_db_reset_sequences",
                     "django_db_serialized_rollback", "live_server"}  # fmt: skip


def pytest_collection_modifyitems(config, items):
    """The PostgreSQL pass (``make test-postgresql``) runs the tests that touch the database;
    the others (statistics, language, the engine) would only repeat the SQLite pass."""
    import os

    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    kept, left = [], []
    for item in items:
        uses_database = item.get_closest_marker("django_db") or DATABASE_FIXTURES & set(
            getattr(item, "fixturenames", ())
        )
        (kept if uses_database else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept
