"""Two agents claim the same ticket at the same moment: one wins, the other is told why.

Run on SQLite by ``make test`` and on PostgreSQL by ``make test-postgresql`` (where
``select_for_update`` and the conditional update really contend for a row lock).
"""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from supportbot.agents import services
from supportbot.agents.services import AgentActionError
from supportbot.chat import services as chat_services
from supportbot.chat.escalation import Reason, escalate
from supportbot.chat.models import Conversation, ConversationEvent
from tests.agents.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 10
RACERS = 4


def waiting_conversation() -> Conversation:
    conversation, _ = chat_services.create_conversation(locale="en", visitor_id="v")
    escalate(conversation.pk, reason=Reason.CUSTOMER_BUTTON)
    return conversation


def race(public_id: str, agents) -> tuple[list, list]:
    barrier = threading.Barrier(len(agents))
    winners, refusals = [], []
    lock = threading.Lock()

    def attempt(agent) -> None:
        try:
            barrier.wait(timeout=10)
            services.claim(public_id, agent)
            with lock:
                winners.append(agent.username)
        except AgentActionError as exc:
            with lock:
                refusals.append(exc.code)
        finally:
            connection.close()  # each thread opened its own connection

    threads = [threading.Thread(target=attempt, args=(a,)) for a in agents]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return winners, refusals


def test_concurrent_claims_have_exactly_one_winner():
    agents = [make_user(f"racer{i}") for i in range(RACERS)]
    for _ in range(ROUNDS):
        conversation = waiting_conversation()
        winners, refusals = race(str(conversation.public_id), agents)
        assert len(winners) == 1, (winners, refusals)
        assert refusals == ["already_claimed"] * (RACERS - 1)
        conversation.refresh_from_db()
        assert conversation.state == Conversation.State.AGENT
        assert conversation.assigned_agent.username == winners[0]
        claims = ConversationEvent.objects.filter(
            conversation=conversation, to_state=Conversation.State.AGENT
        )
        assert claims.count() == 1 and claims.get().user.username == winners[0]


def test_only_the_claiming_agent_may_write_transfer_or_resolve():
    owner, other = make_user("owner"), make_user("other")
    public_id = str(waiting_conversation().public_id)
    with pytest.raises(AgentActionError) as refused:
        services.send(public_id, owner, client_id=uuid.uuid4(), text="hi")
    assert refused.value.code == "not_yours"
    services.claim(public_id, owner)
    for action in (
        lambda: services.send(public_id, other, client_id=uuid.uuid4(), text="hi"),
        lambda: services.resolve(public_id, other),
        lambda: services.hand_back(public_id, other),
        lambda: services.transfer(public_id, other, "other"),
    ):
        with pytest.raises(AgentActionError) as refused:
            action()
        assert refused.value.code == "not_yours"
    # A transfer moves the right to write.
    services.transfer(public_id, owner, "other")
    sent = services.send(public_id, other, client_id=uuid.uuid4(), text="I take over")
    assert sent.created and sent.first_response
    with pytest.raises(AgentActionError) as refused:
        services.send(public_id, owner, client_id=uuid.uuid4(), text="still me?")
    assert refused.value.code == "not_yours"
    with pytest.raises(AgentActionError) as unknown:
        services.transfer(public_id, other, "nobody")
    assert unknown.value.code == "unknown_agent"


def test_a_resend_of_the_same_agent_message_is_stored_once():
    anna = make_user("anna2")
    public_id = str(waiting_conversation().public_id)
    services.claim(public_id, anna)
    client_id = uuid.uuid4()
    first = services.send(public_id, anna, client_id=client_id, text="Hello")
    again = services.send(public_id, anna, client_id=client_id, text="Hello")
    assert first.created and not again.created
    assert first.message.pk == again.message.pk
