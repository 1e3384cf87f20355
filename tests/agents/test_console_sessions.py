"""A console lives only as long as its login: logout, a password change, a lost role or a
deactivated account close it within seconds, and every action checks again."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client

from supportbot.agents.roles import AGENT_GROUP
from tests.agents.conftest import make_user
from tests.conftest import ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)


async def logged_in_console(username: str, user=None):
    """(user, the Django client holding their session, a console socket on that session);
    a new login of ``user`` when given."""
    from supportbot.asgi import application

    def login():
        nonlocal user
        user = user or make_user(username)
        client = Client()
        client.force_login(user)
        return user, client

    user, client = await database_sync_to_async(login)()
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    ws = WebsocketCommunicator(
        application,
        "/ws/agent/",
        headers=[
            (b"origin", ORIGIN.encode()),
            (b"host", b"127.0.0.1"),
            (b"cookie", cookie.encode()),
        ],
    )
    connected, _ = await ws.connect(timeout=10)
    assert connected
    frames = [await ws.receive_json_from(timeout=10) for _ in range(2)]
    assert [f["type"] for f in frames] == ["hello", "queue"]
    return user, client, ws


async def closed_with(ws: WebsocketCommunicator, code: str, close_code: int) -> None:
    """The console is told why, then the socket closes (within seconds)."""
    frame = await ws.receive_json_from(timeout=5)
    assert frame["type"] == "error" and frame["code"] == code
    closing = await ws.receive_output(timeout=5)
    assert closing == {"type": "websocket.close", "code": close_code}


async def test_logout_closes_every_console_of_the_user():
    user, client, ws = await logged_in_console("leaver")
    _, _, elsewhere = await logged_in_console("", user=user)  # the same agent, another browser
    _, _, colleague = await logged_in_console("colleague")
    await database_sync_to_async(client.logout)()
    await closed_with(ws, "session_ended", 4401)
    await closed_with(elsewhere, "session_ended", 4401)
    assert await colleague.receive_nothing(timeout=1)  # someone else's console stays
    await colleague.disconnect()


async def test_a_password_change_closes_the_console():
    user, _client, ws = await logged_in_console("changer")

    def change():
        user.set_password("a-new-long-password-42")
        user.save()

    await database_sync_to_async(change)()
    await closed_with(ws, "session_ended", 4401)


async def test_a_password_changed_behind_the_models_back_is_caught_by_the_next_action():
    from django.contrib.auth.hashers import make_password

    user, _client, ws = await logged_in_console("sneaky")
    await database_sync_to_async(
        lambda: type(user).objects.filter(pk=user.pk).update(password=make_password("other-pw-9"))
    )()
    assert await ws.receive_nothing(timeout=0.5)  # no signal: nothing said yet
    await ws.send_json_to({"type": "queue"})
    await closed_with(ws, "session_ended", 4401)


async def test_an_agent_taken_out_of_the_group_is_closed_at_once():
    user, _client, ws = await logged_in_console("demoted")
    await database_sync_to_async(lambda: user.groups.remove(user.groups.get(name=AGENT_GROUP)))()
    await closed_with(ws, "forbidden", 4403)


async def test_a_deactivated_agent_is_refused_and_closed():
    user, _client, ws = await logged_in_console("deactivated")

    def deactivate():
        user.is_active = False
        user.save()

    await database_sync_to_async(deactivate)()
    await closed_with(ws, "forbidden", 4403)


async def test_every_action_checks_the_role_again():
    user, _client, ws = await logged_in_console("quietly-demoted")
    # Changed without any signal (a raw UPDATE): the next action finds out.
    await database_sync_to_async(
        lambda: type(user).objects.filter(pk=user.pk).update(is_active=False)
    )()
    await ws.send_json_to({"type": "open", "conversation": "00000000-0000-0000-0000-000000000000"})
    await closed_with(ws, "forbidden", 4403)
