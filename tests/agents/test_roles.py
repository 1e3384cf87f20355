"""The role matrix: every page and socket against anonymous visitors, customers (a token for
their own conversation), another customer, a logged-in user without a role, agents and admins."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async

from tests.agents.conftest import make_user
from tests.chat.helpers import receive_until

pytestmark = pytest.mark.django_db(transaction=True)

PAGES = {
    # path: {role: expected status}
    "/agent/": {"anonymous": 302, "nobody": 403, "agent": 200, "admin": 200},
    "/admin/": {"anonymous": 302, "nobody": 302, "agent": 302, "admin": 200},
    "/agent/login/": {"anonymous": 200, "nobody": 302, "agent": 302, "admin": 302},
}


@pytest.mark.parametrize("path", sorted(PAGES))
def test_pages_need_the_right_role(client, path):
    users = {
        "nobody": make_user("nobody", role=None),
        "agent": make_user("agent1"),
        "admin": make_user("admin1", role="admin"),
    }
    for role, expected in PAGES[path].items():
        client.logout()
        if role != "anonymous":
            client.force_login(users[role])
        response = client.get(path)
        assert response.status_code == expected, (path, role, response.status_code)
        if path == "/agent/" and expected == 302:
            assert response["Location"].startswith("/agent/login/")


def test_the_console_page_escapes_nothing_into_script_and_logout_needs_post(client):
    agent = make_user("agent2", first_name="<script>alert(1)</script>")
    client.force_login(agent)
    page = client.get("/agent/").content.decode()
    assert "<script>alert(1)</script>" not in page
    assert client.get("/agent/logout/").status_code == 405  # a link cannot log anyone out
    assert client.post("/agent/logout/").status_code == 302


def test_login_form_is_csrf_protected(settings):
    from django.test import Client

    make_user("agent3")
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/agent/login/", {"username": "agent3", "password": "pw-agent3"})
    assert response.status_code == 403
    page = strict.get("/agent/login/")
    token = page.cookies["csrftoken"].value
    response = strict.post(
        "/agent/login/",
        {"username": "agent3", "password": "pw-agent3", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302 and response["Location"] == "/agent/"


async def test_agent_socket_role_matrix(console, conversation_factory, connect, settings):
    nobody = await database_sync_to_async(make_user)("nobody2", role=None)
    agent = await database_sync_to_async(make_user)("agent4")
    admin = await database_sync_to_async(make_user)("admin2", role="admin")
    for user, allowed in ((None, False), (nobody, False), (agent, True), (admin, True)):
        ws, connected = await console(user)
        assert connected is allowed, user
        if connected:
            assert (await ws.receive_json_from(timeout=10))["type"] == "hello"
            await ws.disconnect()
    # A site that may embed the widget may not open the console with an agent's cookie.
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "WIDGET_ORIGINS": ["https://shop.example"]}
    _, connected = await console(agent, origin="https://shop.example")
    assert connected is False


async def test_customer_socket_role_matrix(conversation_factory, connect, console):
    mine, my_token = await database_sync_to_async(conversation_factory)(visitor="a")
    other, other_token = await database_sync_to_async(conversation_factory)(visitor="b")
    _, connected = await connect(mine, my_token)
    assert connected
    for token in (other_token, "", "x" * 22):
        _, connected = await connect(mine, token)
        assert connected is False, token
    # Agents work through the console; the widget socket still needs the customer's token.
    _, connected = await connect(other, my_token)
    assert connected is False


async def test_agents_cannot_act_on_unknown_or_foreign_conversations(
    console, conversation_factory, connect
):
    agent = await database_sync_to_async(make_user)("agent5")
    ws, _ = await console(agent)
    await receive_until(ws, "queue")
    for frame in (
        {"type": "claim", "conversation": "00000000-0000-0000-0000-000000000000"},
        {"type": "open", "conversation": "not-a-uuid"},
    ):
        await ws.send_json_to(frame)
        error = (await receive_until(ws, "error"))[-1]
        assert error["code"] == "not_found"
    await ws.send_json_to({"type": "teleport", "conversation": "x"})
    assert (await receive_until(ws, "error"))[-1]["code"] == "unknown_type"
    await ws.send_to(text_data="{not json")
    assert (await receive_until(ws, "error"))[-1]["code"] == "invalid_json"
    conversation, _token = await database_sync_to_async(conversation_factory)()
    await ws.send_json_to(
        {"type": "send", "conversation": str(conversation.public_id),
         "client_id": "8c0a0a9e-4b8e-4d39-9d8a-2b7c4c0f0a11", "text": "hi"}
    )  # fmt: skip
    # A conversation with the bot is not theirs to see, let alone write to.
    assert (await receive_until(ws, "error"))[-1]["code"] == "not_found"


async def test_agents_read_the_queue_and_their_own_conversations_only(
    console, conversation_factory, connect
):
    from supportbot.agents import services
    from supportbot.chat.escalation import Reason, escalate

    agent = await database_sync_to_async(make_user)("agent6")
    other = await database_sync_to_async(make_user)("agent7")
    admin = await database_sync_to_async(make_user)("admin3", role="admin")
    with_bot, _ = await database_sync_to_async(conversation_factory)(visitor="bot-only")
    handled, _ = await database_sync_to_async(conversation_factory)(visitor="handled")

    def handle_and_resolve():
        escalate(handled.pk, reason=Reason.CUSTOMER_BUTTON)
        services.claim(str(handled.public_id), agent)
        services.resolve(str(handled.public_id), agent)

    await database_sync_to_async(handle_and_resolve)()

    async def opens(user, conversation) -> str:
        ws, _ = await console(user)
        await receive_until(ws, "queue")
        await ws.send_json_to({"type": "open", "conversation": str(conversation.public_id)})
        frame = await ws.receive_json_from(timeout=10)
        await ws.disconnect()
        return frame["type"] if frame["type"] != "error" else frame["code"]

    assert await opens(agent, with_bot) == "not_found"  # a bot chat is not theirs to read
    assert await opens(agent, handled) == "conversation"  # they handled it
    assert await opens(other, handled) == "not_found"
    assert await opens(admin, with_bot) == "conversation"


async def test_drafts_and_translated_sends_follow_the_read_rule(
    console, conversation_factory, connect
):
    import uuid

    from supportbot.chat import services

    agent = await database_sync_to_async(make_user)("agent8")
    with_bot, _ = await database_sync_to_async(conversation_factory)(visitor="bot-only2")
    await database_sync_to_async(services.receive_customer_message)(
        with_bot.pk, client_id=uuid.uuid4(), text="My card number is 4111 1111 1111 1111"
    )
    ws, _ = await console(agent)
    await receive_until(ws, "queue")
    for frame in (
        {"type": "suggest", "conversation": str(with_bot.public_id)},
        {"type": "send", "conversation": str(with_bot.public_id).upper(),
         "client_id": str(uuid.uuid4()), "text": "hi", "translate": True},
        {"type": "claim", "conversation": str(with_bot.public_id)},
    ):  # fmt: skip
        await ws.send_json_to(frame)
        error = (await receive_until(ws, "error"))[-1]
        assert error["code"] == "not_found", frame
