"""The console's queue: paged and searchable, refreshed at most once a second per console
(never missing the last change), and no source can flood it with urgent tickets."""

from __future__ import annotations

import asyncio

import pytest
from channels.db import database_sync_to_async
from django.db import transaction

from supportbot.agents.triggers import ELEVATED_PER_SOURCE
from supportbot.chat import escalation
from supportbot.chat.models import Actor, Conversation, Priority, Reason, client_key
from tests.agents.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def escalated(
    conversation_factory,
    *,
    visitor="visitor-1",
    locale="en",
    reason=Reason.CUSTOMER_BUTTON,
    said=None,
    address=None,
) -> Conversation:
    conversation, _token = conversation_factory(locale=locale, visitor=visitor)
    if address is not None:
        Conversation.objects.filter(pk=conversation.pk).update(client_key=client_key(address))
    if said is not None:
        with transaction.atomic():
            locked = Conversation.objects.select_for_update().get(pk=conversation.pk)
            locked.add_message(role=Actor.CUSTOMER, text=said, language=locked.language)
    escalation.escalate(conversation.pk, reason=reason)
    return Conversation.objects.get(pk=conversation.pk)


async def ready_console(console, name="queuer"):
    agent = await database_sync_to_async(make_user)(name)
    ws, connected = await console(agent)
    assert connected
    assert (await ws.receive_json_from(timeout=10))["type"] == "hello"
    first = await ws.receive_json_from(timeout=10)
    assert first["type"] == "queue"
    return ws, first


async def ask(ws, **view) -> dict:
    await ws.send_json_to({"type": "queue", **view})
    while True:
        frame = await ws.receive_json_from(timeout=10)
        if frame["type"] in ("queue", "error"):
            return frame


async def test_the_queue_comes_in_pages(conversation_factory, console):
    made = [
        await database_sync_to_async(escalated)(conversation_factory, visitor=f"v{i}")
        for i in range(7)
    ]
    ws, first = await ready_console(console)
    assert first["total"] == 7 and first["offset"] == 0 and len(first["items"]) == 7
    page = await ask(ws, offset=3, limit=3)
    assert page["total"] == 7 and (page["offset"], page["limit"]) == (3, 3)
    assert [i["conversation"] for i in page["items"]] == [str(c.public_id) for c in made[3:6]]
    last = await ask(ws, offset=6, limit=3)
    assert [i["conversation"] for i in last["items"]] == [str(made[6].public_id)]
    refused = await ask(ws, limit=10_000)
    assert refused["type"] == "error" and refused["code"] == "invalid_field"


async def test_the_queue_is_searched_by_text_language_id_and_contact(conversation_factory, console):
    parcel = await database_sync_to_async(escalated)(
        conversation_factory, visitor="a", said="Where is my PARCEL 4711?"
    )
    german = await database_sync_to_async(escalated)(conversation_factory, visitor="b", locale="de")
    contact = await database_sync_to_async(escalated)(conversation_factory, visitor="c")
    await database_sync_to_async(escalation.leave_contact)(
        contact.pk, name="Ada Lovelace", email="ada@example.org", phone=""
    )
    ws, first = await ready_console(console)
    assert first["total"] == 3

    def found(frame):
        return [i["conversation"] for i in frame["items"]]

    assert found(await ask(ws, search="parcel 4711")) == [str(parcel.public_id)]
    assert found(await ask(ws, language="de")) == [str(german.public_id)]
    assert found(await ask(ws, search="lovelace")) == [str(contact.public_id)]
    assert found(await ask(ws, search="ADA@example")) == [str(contact.public_id)]
    assert found(await ask(ws, search=str(german.public_id))) == [str(german.public_id)]
    assert found(await ask(ws, search=str(parcel.public_id)[:8])) == [str(parcel.public_id)]
    nothing = await ask(ws, search="no such words")
    assert nothing["items"] == [] and nothing["total"] == 0 and nothing["search"] == "no such words"


async def test_a_search_stays_on_through_refreshes(conversation_factory, console):
    await database_sync_to_async(escalated)(conversation_factory, visitor="a", locale="de")
    ws, _first = await ready_console(console)
    assert len((await ask(ws, language="fr"))["items"]) == 0
    await database_sync_to_async(escalated)(conversation_factory, visitor="b", locale="fr")
    refreshed = await ws.receive_json_from(timeout=5)
    assert refreshed["type"] == "queue" and refreshed["language"] == "fr"
    assert [i["language"] for i in refreshed["items"]] == ["fr"]


async def test_a_burst_of_changes_costs_each_console_about_one_refresh_a_second(
    conversation_factory, console
):
    ws, _first = await ready_console(console)

    def burst():
        for i in range(12):
            escalated(conversation_factory, visitor=f"burst{i}")

    await database_sync_to_async(burst)()
    frames = []
    loop = asyncio.get_running_loop()
    until = loop.time() + 3.0
    while loop.time() < until:
        try:
            frames.append(await ws.receive_json_from(timeout=max(0.05, until - loop.time())))
        except TimeoutError:
            break
    queues = [f for f in frames if f["type"] == "queue"]
    assert 1 <= len(queues) <= 4, len(queues)
    assert queues[-1]["total"] == 12  # the last change is never lost


async def test_one_source_cannot_flood_the_queue_with_urgent_tickets(conversation_factory, console):
    def flood():
        return [
            escalated(conversation_factory, visitor="flooder", reason=Reason.SAFETY)
            for _ in range(ELEVATED_PER_SOURCE + 2)
        ]

    made = await database_sync_to_async(flood)()
    assert [c.priority for c in made] == [Priority.URGENT] * ELEVATED_PER_SOURCE + [
        Priority.NORMAL
    ] * 2
    # Another visitor id from the same address is the same source; another address is not.
    same_address = [
        await database_sync_to_async(escalated)(
            conversation_factory, visitor=f"fresh{i}", reason=Reason.SAFETY, address="203.0.113.9"
        )
        for i in range(ELEVATED_PER_SOURCE + 1)
    ]
    assert same_address[-1].priority == Priority.NORMAL
    elsewhere = await database_sync_to_async(escalated)(
        conversation_factory, visitor="someone", reason=Reason.SAFETY, address="198.51.100.7"
    )
    assert elsewhere.priority == Priority.URGENT

    _ws, first = await ready_console(console)
    capped = {i["conversation"] for i in first["items"] if i["priority_capped"]}
    assert capped == {str(c.public_id) for c in [*made[-2:], same_address[-1]]}
    # A real customer's urgent ticket is still on top of the first page.
    assert first["items"][0]["priority"] == Priority.URGENT
