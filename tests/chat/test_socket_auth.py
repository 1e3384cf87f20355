"""The customer token travels in Sec-WebSocket-Protocol, never in the URL (proxy logs)."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from channels.testing import HttpCommunicator, WebsocketCommunicator

from supportbot.asgi import application
from supportbot.chat.frames import SUBPROTOCOL, socket_path, socket_subprotocols
from tests.conftest import ORIGIN

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

HEADERS = [(b"origin", ORIGIN.encode()), (b"host", b"127.0.0.1")]


async def open_with_protocols(path: str, protocols: list[str]):
    ws = WebsocketCommunicator(application, path, headers=HEADERS, subprotocols=protocols)
    connected, chosen = await ws.connect(timeout=10)
    return ws, connected, chosen


async def start_conversation() -> dict:
    http = HttpCommunicator(
        application,
        "POST",
        "/api/conversations",
        body=json.dumps({"visitor": "v-auth"}).encode(),
        headers=[*HEADERS, (b"content-type", b"application/json")],
    )
    response = await http.get_response(timeout=30)
    assert response["status"] == 201, response["body"]
    return json.loads(response["body"])


async def test_the_api_gives_a_socket_path_without_the_token():
    opened = await start_conversation()
    assert opened["ws"] == f"/ws/chat/{opened['conversation']}/"
    assert opened["token"] not in opened["ws"]


async def test_token_in_the_subprotocol_opens_the_socket_and_it_works():
    opened = await start_conversation()
    ws, connected, chosen = await open_with_protocols(
        opened["ws"], socket_subprotocols(opened["token"])
    )
    assert connected
    # The browser fails a handshake whose answer picks none of the offered protocols, and
    # the token is not echoed back in a header either.
    assert chosen == SUBPROTOCOL
    await ws.send_json_to({"type": "resume", "after_seq": 0})
    assert (await ws.receive_json_from(timeout=10))["type"] == "resume.done"
    await ws.disconnect()


async def test_path_alone_is_refused():
    opened = await start_conversation()
    _, connected, _ = await open_with_protocols(opened["ws"], [SUBPROTOCOL])
    assert not connected


@pytest.mark.parametrize("token", ["", "not-the-token", "A" * 22])
async def test_wrong_token_in_the_subprotocol_is_refused(token):
    opened = await start_conversation()
    _, connected, _ = await open_with_protocols(opened["ws"], socket_subprotocols(token))
    assert not connected


async def test_another_conversations_token_in_the_subprotocol_is_refused(conversation_factory):
    mine, _ = await sync_to_async(conversation_factory)(visitor="me")
    _, theirs = await sync_to_async(conversation_factory)(visitor="them")
    _, connected, _ = await open_with_protocols(
        socket_path(mine.public_id), socket_subprotocols(theirs)
    )
    assert not connected


async def test_deprecated_query_string_token_still_opens_the_socket(conversation_factory):
    conversation, token = await sync_to_async(conversation_factory)()
    ws, connected, chosen = await open_with_protocols(
        socket_path(conversation.public_id, token), []
    )
    assert connected and chosen is None
    await ws.disconnect()
