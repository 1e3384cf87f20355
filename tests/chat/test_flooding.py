"""The reply path cannot be flooded: budgets shared by every socket of a conversation and of
an address, and one bot reply in flight per conversation, whatever the number of sockets."""

from __future__ import annotations

import asyncio
import threading

import pytest
from channels.db import database_sync_to_async

from supportbot.chat.dispatching import get_dispatcher, reset_dispatcher
from supportbot.chat.models import Actor, Message
from supportbot.ops import warmup
from tests.chat.helpers import send_message
from tests.serving.scripted import ScriptedEngine

pytestmark = pytest.mark.django_db(transaction=True)


async def answers(ws, count: int) -> dict[str, list[dict]]:
    """The first ``count`` acks or errors on ``ws``, by type."""
    seen: dict[str, list[dict]] = {"ack": [], "error": []}
    while len(seen["ack"]) + len(seen["error"]) < count:
        frame = await ws.receive_json_from(timeout=30)
        if frame["type"] in seen:
            seen[frame["type"]].append(frame)
    return seen


@pytest.fixture
def warm_filters(transactional_db):
    """Loaded as a server with SUPPORTBOT_PRELOAD loads them (on a thread of their own): cold,
    the first readings take seconds, and the fifteen messages would not fall in one rate
    window."""
    loading = threading.Thread(target=warmup.load_filters)
    loading.start()
    loading.join()


@pytest.fixture
def slow_engine(tiny_moe):
    """The embedded dispatcher answering with a scripted reply that takes ~1 s."""
    reset_dispatcher()
    engine = ScriptedEngine(tiny_moe.tokenizer, ["One ", "moment ", "please."], delay_s=0.3)
    get_dispatcher().install_engine("default", engine)
    yield engine
    reset_dispatcher()


async def test_three_sockets_share_one_budget_and_one_reply_in_flight(
    settings, warm_filters, slow_engine, conversation_factory, connect
):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "RATE_LIMIT_MESSAGES": 10}
    conversation, token = await database_sync_to_async(conversation_factory)()
    sockets = [(await connect(conversation, token))[0] for _ in range(3)]
    # Five messages from each socket, as fast as they go: fifteen asked, ten allowed.
    for i in range(5):
        for n, ws in enumerate(sockets):
            await send_message(ws, f"where is my order? ({n}-{i})")
    results = [await answers(ws, 5) for ws in sockets]
    acked = sum(len(r["ack"]) for r in results)
    refused = [e for r in results for e in r["error"]]
    assert acked == 10 and len(refused) == 5
    assert {e["code"] for e in refused} == {"rate_limited"}

    # Let every reply finish: the first message's, then one for everything that waited.
    for _ in range(100):
        await asyncio.sleep(0.1)
        if len(slow_engine.submitted) >= 2 and not get_dispatcher().is_generating(
            slow_engine.submitted[-1].request_id
        ):
            break
    await asyncio.sleep(0.5)
    assert len(slow_engine.submitted) == 2  # not ten generations
    stored = await database_sync_to_async(
        lambda: list(
            Message.objects.filter(conversation=conversation, role=Actor.BOT)
            .order_by("seq")
            .values_list("reply_to__seq", flat=True)
        )
    )()
    last_customer_seq = await database_sync_to_async(
        lambda: (
            Message.objects.filter(conversation=conversation, role=Actor.CUSTOMER)
            .order_by("-seq")
            .values_list("seq", flat=True)
            .first()
        )
    )()
    # The first question was answered, then the newest, with everything before it in view.
    assert len(stored) == 2 and stored[-1] == last_customer_seq
    for ws in sockets:
        await ws.disconnect()


async def test_an_address_has_a_budget_across_conversations(
    settings, slow_engine, conversation_factory, connect
):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "RATE_LIMIT_ADDRESS_MESSAGES": 4}
    sockets = []
    for visitor in ("a", "b", "c"):
        conversation, token = await database_sync_to_async(conversation_factory)(visitor=visitor)
        sockets.append((await connect(conversation, token))[0])
    for ws in sockets:
        await send_message(ws, "hello")
        await send_message(ws, "anyone there?")
    results = [await answers(ws, 2) for ws in sockets]
    assert sum(len(r["ack"]) for r in results) == 4
    assert sum(len(r["error"]) for r in results) == 2
    for ws in sockets:
        await ws.disconnect()


async def test_resumes_are_budgeted_per_conversation(settings, conversation_factory, connect):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "RATE_LIMIT_RESUMES": 3}
    conversation, token = await database_sync_to_async(conversation_factory)()
    first, _ = await connect(conversation, token)
    second, _ = await connect(conversation, token)
    outcomes = []
    for ws in (first, second, first, second):
        await ws.send_json_to({"type": "resume", "after_seq": 0})
        frame = await ws.receive_json_from(timeout=10)
        outcomes.append(frame["type"] if frame["type"] != "error" else frame["code"])
    assert outcomes == ["resume.done", "resume.done", "resume.done", "rate_limited"]
    for ws in (first, second):
        await ws.disconnect()
