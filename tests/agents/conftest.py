"""Agents and admins as real users with real sessions, and their console sockets."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator


def make_user(username: str, *, role: str | None = "agent", first_name: str = ""):
    from django.contrib.auth import get_user_model

    from supportbot.agents.roles import ensure_groups

    agent_group, admin_group = ensure_groups()
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, first_name=first_name
    )
    if role in ("agent", "admin"):
        user.groups.add(agent_group)
    if role == "admin":
        user.is_staff = True
        user.save()
        user.groups.add(admin_group)
    return user


def session_cookie(user) -> str:
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"


@pytest.fixture
def agent_factory(transactional_db):
    return make_user


async def receive_type(ws: WebsocketCommunicator, frame_type: str, timeout: float = 30, **match):
    """Frames up to and including the first of ``frame_type`` whose fields include ``match``."""
    seen = []
    while True:
        frame = await ws.receive_json_from(timeout=timeout)
        seen.append(frame)
        if frame["type"] == frame_type and all(frame.get(k) == v for k, v in match.items()):
            return seen


async def escalated_chat(conversation_factory, connect, **conversation_kwargs):
    """(conversation, token, customer socket) of a chat the customer handed to people with
    the widget's button."""
    from tests.chat.helpers import receive_until

    conversation, token = await database_sync_to_async(conversation_factory)(**conversation_kwargs)
    ws, _ = await connect(conversation, token)
    await ws.send_json_to({"type": "escalate"})
    await receive_until(ws, "handoff")
    return conversation, token, ws


async def open_and_claim(agent_ws: WebsocketCommunicator, public_id: str) -> dict:
    """Open the conversation in the console and claim it; returns the transcript frame."""
    await agent_ws.send_json_to({"type": "open", "conversation": public_id})
    detail = (await receive_type(agent_ws, "conversation"))[-1]
    await agent_ws.send_json_to({"type": "claim", "conversation": public_id})
    await receive_type(agent_ws, "claimed")
    return detail
