"""A two-variant experiment in the embedded default, driven the way the widget drives it: each
visitor opens a conversation with ``POST /api/conversations`` and its visitor id, connects to the
``ws`` path the API returns, resumes and asks a question, through the full ASGI stack, while the
in-process engine answers. No service is called directly; the database is read afterwards."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from channels.db import database_sync_to_async
from channels.testing import HttpCommunicator

from supportbot.chat.dispatching import get_dispatcher, reset_dispatcher
from supportbot.chat.models import Actor, Conversation, Message
from supportbot.experiments.hashing import bucket, pick
from supportbot.experiments.models import Arm, Assignment, Experiment, ModelVariant
from supportbot.serving.models import GenerationRecord
from tests.chat.helpers import receive_reply, receive_until, send_message
from tests.conftest import ORIGIN

pytestmark = pytest.mark.django_db(transaction=True)

SALT = "e2e-salt"
SHORT, LONG = 3, 12  # the two variants' max_new_tokens (the deployment's is 24 in tests)
PER_ARM = 4
QUESTION = "Where is my order?"


@pytest.fixture
def fresh_dispatcher():
    reset_dispatcher()
    yield get_dispatcher()
    reset_dispatcher()


def start_experiment() -> dict[str, Arm]:
    """Two variants of the test model differing only in reply length, split 1:1."""
    model = ModelVariant.get_default().model  # the tiny test MoE
    short = ModelVariant.objects.create(
        name="short", model=model, is_moe=True, generation={"max_new_tokens": SHORT}
    )
    long = ModelVariant.objects.create(
        name="long", model=model, is_moe=True, generation={"max_new_tokens": LONG}
    )
    experiment = Experiment.objects.create(
        name="reply-length", status=Experiment.Status.RUNNING, salt=SALT,
        primary_metric="escalation_rate",
    )  # fmt: skip
    control = Arm.objects.create(
        experiment=experiment, name="short", variant=short, weight=1, is_control=True
    )
    candidate = Arm.objects.create(experiment=experiment, name="long", variant=long, weight=1)
    return {"short": control, "long": candidate}


def visitors_for(arms: dict[str, Arm]) -> dict[str, str]:
    """``PER_ARM`` widget-like visitor ids (UUIDs) per arm, chosen by the hash: visitor -> arm."""
    ordered = list(arms.values())
    chosen: dict[str, str] = {}
    counts = dict.fromkeys(arms, 0)
    for i in range(1000):
        visitor = str(uuid.uuid5(uuid.NAMESPACE_URL, f"e2e-visitor-{i}"))
        arm = pick(ordered, bucket(SALT, visitor)).name
        if counts[arm] < PER_ARM:
            chosen[visitor] = arm
            counts[arm] += 1
        if all(count == PER_ARM for count in counts.values()):
            return chosen
    raise AssertionError(f"the hash never filled both arms: {counts}")


async def open_conversation(visitor: str | None) -> dict:
    """The widget's first call; ``None`` sends no visitor id at all."""
    from supportbot.asgi import application

    body = {"locale": "en"} if visitor is None else {"locale": "en", "visitor": visitor}
    http = HttpCommunicator(
        application,
        "POST",
        "/api/conversations",
        body=json.dumps(body).encode(),
        headers=[
            (b"origin", ORIGIN.encode()),
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
        ],
    )
    response = await http.get_response(timeout=30)
    await http.wait(timeout=30)  # the request finishes (its connection closed) like a server's
    assert response["status"] == 201, response["body"]
    return json.loads(response["body"])


async def chat(connect, visitor: str | None) -> dict:
    """One visitor's visit: open, connect, resume, ask, read the streamed reply."""
    opened = await open_conversation(visitor)
    ws, connected = await connect(path=opened["ws"], token=opened["token"])
    assert connected
    await ws.send_json_to({"type": "resume", "after_seq": 0})
    await receive_until(ws, "resume.done")
    await send_message(ws, QUESTION)
    deltas, done = await receive_reply(ws, timeout=90)  # the first one warms the filters up
    await ws.disconnect()
    assert done["seq"] is not None and done["finish_reason"] in ("stop", "length"), done
    return {"public_id": opened["conversation"], "visitor": visitor, "deltas": deltas, "done": done}


def stored(public_id: str) -> tuple[Conversation, Message, GenerationRecord]:
    conversation = Conversation.objects.select_related("arm", "variant").get(public_id=public_id)
    reply = Message.objects.select_related("variant").get(conversation=conversation, role=Actor.BOT)
    record = GenerationRecord.objects.get(reply_to=reply.reply_to)
    return conversation, reply, record


async def test_each_visitor_is_answered_by_the_variant_of_its_hashed_arm(fresh_dispatcher, connect):
    arms = await database_sync_to_async(start_experiment)()
    visitors = visitors_for(arms)

    # One visitor first (the filters and the engine load), then the other seven at once, so
    # that both variants generate at the same time on their one engine.
    first, *others = visitors
    visits = [await chat(connect, first)]
    visits += await asyncio.gather(*(chat(connect, visitor) for visitor in others))
    # Two come back for a new conversation; one arrives with no visitor id.
    returning = [next(v for v, arm in visitors.items() if arm == name) for name in arms]
    visits += [await chat(connect, visitor) for visitor in returning]
    anonymous = await chat(connect, None)

    limits = {"short": SHORT, "long": LONG}
    lengths: dict[str, list[int]] = {name: [] for name in arms}
    for visit in visits:
        arm = arms[visitors[visit["visitor"]]]  # what the hash predicts
        conversation, reply, record = await database_sync_to_async(stored)(visit["public_id"])
        assert conversation.visitor_id == visit["visitor"]
        assert conversation.arm_id == arm.pk, visit["visitor"]
        assert conversation.variant_id == reply.variant_id == arm.variant_id
        # The engine served the arm's variant (the record names the job's variant), with
        # that variant's reply length; the widget saw what was stored.
        assert record.variant == arm.variant.name
        assert 0 < reply.token_count <= limits[arm.name]
        assert record.completion_tokens == reply.token_count
        assert visit["done"]["text"] == "".join(d["text"] for d in visit["deltas"]) == reply.text
        lengths[arm.name].append(reply.token_count)
    assert len(lengths["short"]) == len(lengths["long"]) == PER_ARM + 1
    # The long variant's replies outgrow the short one's limit: the length is per variant.
    assert max(lengths["long"]) > SHORT, lengths

    def assignments() -> dict[str, int]:
        return dict(Assignment.objects.values_list("visitor_id", "arm_id"))

    assert await database_sync_to_async(assignments)() == {
        visitor: arms[name].pk for visitor, name in visitors.items()
    }  # one per visitor: the returning ones were not placed again

    conversation, reply, record = await database_sync_to_async(stored)(anonymous["public_id"])
    assert conversation.visitor_id == "" and conversation.arm_id is None
    assert conversation.variant_id == reply.variant_id == arms["short"].variant_id
    assert record.variant == "short" and reply.token_count <= SHORT

    # Variants of one model share one loaded engine.
    engines = {
        id(await database_sync_to_async(fresh_dispatcher.engine)(name))
        for name in ("short", "long", "default")
    }
    assert len(engines) == 1
