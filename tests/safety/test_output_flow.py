"""The output guard between a scripted model stream and a real customer socket: the real
checks, the real store, the real channel layer; only the model's words are scripted."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from channels.db import database_sync_to_async

from inference_worker.sequence import FinishReason, StreamEvent
from supportbot.chat import services
from supportbot.chat.dispatch import get_dispatcher
from supportbot.chat.models import Conversation, Message
from supportbot.chat.prompts import build_reply_job
from supportbot.safety.models import SafetyEvent
from tests.chat.helpers import receive_until

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def guarded(settings):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "OUTPUT_GUARD": True}


def ask(conversation, text: str):
    result = services.receive_customer_message(conversation.pk, client_id=uuid.uuid4(), text=text)
    return build_reply_job(result.message)


def scripted(job, pieces: list[str]) -> asyncio.Queue:
    """The events an engine would emit for ``pieces``, ending like a finished reply."""
    events: asyncio.Queue[StreamEvent] = asyncio.Queue()
    for count, piece in enumerate(pieces, 1):
        events.put_nowait(StreamEvent(job.request_id, piece, num_tokens=count))
    events.put_nowait(
        StreamEvent(
            job.request_id, "".join(pieces).strip(), done=True,
            finish_reason=FinishReason.STOP, num_tokens=len(pieces),
            submitted_at=job.queued_at, first_token_at=job.queued_at, finished_at=job.queued_at,
        )
    )  # fmt: skip
    return events


async def relay(job, events) -> None:
    dispatcher = get_dispatcher()
    engine = await asyncio.get_running_loop().run_in_executor(None, dispatcher.engine)
    await dispatcher._relay_stream(job, events, engine)


async def test_an_unsafe_sentence_never_reaches_the_socket(guarded, conversation_factory, connect):
    conversation, token = await database_sync_to_async(conversation_factory)()
    ws, _ = await connect(conversation, token)
    job = await database_sync_to_async(ask)(conversation, "Where is my refund?")
    # The bad link sits before a sentence end, so the block comes mid-stream and the
    # generation is aborted (not at the final check).
    pieces = [
        "Your refund ",
        "is on its way.",
        " Click https://evil.example.net/claim",
        " now. ",
        "Thanks.",
    ]
    await relay(job, scripted(job, pieces))

    frames = await receive_until(ws, "handoff", timeout=30)
    handoff = frames[-1]
    assert (handoff["type"], handoff["state"], handoff["reason"]) == (
        "handoff", "waiting_agent", "output_blocked",
    )  # fmt: skip
    frames = frames[:-1]
    shown = "".join(f.get("text", "") for f in frames if f["type"] == "bot.delta")
    # Only checked text streamed (what was still coalescing when the block came is dropped:
    # the retract removes the reply anyway).
    assert shown and "Your refund is on its way.".startswith(shown)
    assert all("evil.example" not in str(f) for f in frames)
    types = [f["type"] for f in frames]
    assert types[-2:] == ["bot.retract", "bot.done"]
    assert "colleague will take over" in frames[-1]["text"]

    await database_sync_to_async(conversation.refresh_from_db)()
    assert conversation.state == Conversation.State.WAITING_AGENT
    reply = await database_sync_to_async(Message.objects.get)(
        conversation=conversation, seq=frames[-1]["seq"]
    )
    assert reply.finish_reason == "blocked" and "evil" not in reply.text
    event = await database_sync_to_async(SafetyEvent.objects.get)(conversation=conversation)
    assert (event.direction, event.action, event.categories) == (
        "output", "block", ["active_content"],
    )  # fmt: skip
    await ws.disconnect()


async def test_safe_text_held_back_by_the_guard_is_all_delivered(
    guarded, conversation_factory, connect
):
    conversation, token = await database_sync_to_async(conversation_factory)(locale="ja")
    ws, _ = await connect(conversation, token)
    job = await database_sync_to_async(ask)(conversation, "配送にはどのくらいかかりますか？")
    pieces = ["通常配送は", "3〜5営業日", "です。", "お急ぎの場合は", "速達を", "ご利用ください"]
    await relay(job, scripted(job, pieces))

    frames = await receive_until(ws, "bot.done", timeout=30)
    shown = "".join(f["text"] for f in frames if f["type"] == "bot.delta")
    assert shown == "".join(pieces) == frames[-1]["text"]
    assert "bot.retract" not in [f["type"] for f in frames]
    assert await database_sync_to_async(SafetyEvent.objects.count)() == 0
    await ws.disconnect()
