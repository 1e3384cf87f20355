"""A reply's final frame lost by the channel layer (at most once, publish failures
swallowed) is recovered by ``resume`` from the last seq seen: once, from the database."""

from __future__ import annotations

import pytest
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer

from supportbot.chat.dispatching import get_dispatcher, reset_dispatcher
from supportbot.chat.models import Actor, Message
from tests.chat.helpers import receive_until, send_message
from tests.serving.scripted import ScriptedEngine

pytestmark = pytest.mark.django_db(transaction=True)

PIECES = ["Your ", "parcel ", "ships ", "today."]


@pytest.fixture
def scripted(tiny_moe):
    reset_dispatcher()
    engine = ScriptedEngine(tiny_moe.tokenizer, PIECES, delay_s=0.05)
    get_dispatcher().install_engine("default", engine)
    yield engine
    reset_dispatcher()


@pytest.fixture
def lose_first_done(monkeypatch):
    """The channel layer loses the first ``bot.done`` it is given; the frames it lost."""
    layer = get_channel_layer()
    deliver = layer.group_send
    lost: list[dict] = []

    async def group_send(group: str, message: dict) -> None:
        frame = message.get("frame") or {}
        if not lost and frame.get("type") == "bot.done":
            lost.append(frame)
            return
        await deliver(group, message)

    monkeypatch.setattr(layer, "group_send", group_send)
    return lost


async def frames_until_quiet(ws, quiet_s: float) -> list[dict]:
    """Every frame until none arrives for ``quiet_s`` seconds (``receive_nothing``: a
    timed-out receive would cancel the consumer)."""
    frames = []
    while not await ws.receive_nothing(timeout=quiet_s, interval=0.05):
        frames.append(await ws.receive_json_from(timeout=5))
    return frames


async def test_a_lost_bot_done_is_sent_once_on_resume(
    scripted, lose_first_done, conversation_factory, connect
):
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, connected = await connect(conversation, token)
    assert connected
    await send_message(ws, "where is my order?")
    ack = (await receive_until(ws, "ack", timeout=240))[-1]  # first use loads the filters

    # The reply streams, is stored, and its bot.done is lost: the socket goes quiet.
    streamed = await frames_until_quiet(ws, quiet_s=3)
    deltas = [f for f in streamed if f["type"] == "bot.delta"]
    assert deltas and not [f for f in streamed if f["type"] == "bot.done"]
    assert len(lose_first_done) == 1
    reply = await database_sync_to_async(
        lambda: Message.objects.get(conversation=conversation, role=Actor.BOT)
    )()

    # What the widget does when a reply stalls: resume from the last seq it saw (the ack's).
    await ws.send_json_to({"type": "resume", "after_seq": ack["seq"]})
    replayed = await receive_until(ws, "resume.done", timeout=60)
    done = [f for f in replayed if f["type"] == "bot.done"]
    assert len(done) == 1
    assert done[0]["seq"] == reply.seq and done[0]["reply_to"] == ack["seq"]
    assert done[0]["text"] == reply.text == "".join(d["text"] for d in deltas).strip()
    assert replayed[-1]["last_seq"] == reply.seq
    # Nothing more follows (the reply is not generated again), and resuming from the new
    # last seq sends nothing twice.
    assert not [f for f in await frames_until_quiet(ws, quiet_s=2) if f["type"] == "bot.done"]
    await ws.send_json_to({"type": "resume", "after_seq": reply.seq})
    again = await receive_until(ws, "resume.done", timeout=60)
    assert [f["type"] for f in again] == ["resume.done"]
    assert len(scripted.submitted) == 1
    await ws.disconnect()
