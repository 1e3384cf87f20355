"""Facts the metrics need, recorded when they happen: who was online at each escalation, and
where an idle conversation's handling time ends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from supportbot.agents.models import AgentPresence
from supportbot.chat import services
from supportbot.chat.escalation import Reason, escalate, resolve_idle
from supportbot.chat.models import Conversation, ConversationEvent
from tests.agents.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)


def escalation_event(conversation) -> ConversationEvent:
    return ConversationEvent.objects.get(
        conversation=conversation,
        kind=ConversationEvent.Kind.STATE_CHANGED,
        to_state=Conversation.State.WAITING_AGENT,
    )


def test_each_escalation_records_whether_an_agent_was_online(conversation_factory):
    nobody, _ = conversation_factory(visitor="a")
    escalate(nobody.pk, reason=Reason.CUSTOMER_BUTTON)
    assert escalation_event(nobody).data["agents_online"] is False

    agent = make_user("online-agent")
    AgentPresence.objects.create(user=agent, channel_name="console-1")
    staffed, _ = conversation_factory(visitor="b")
    escalate(staffed.pk, reason=Reason.CUSTOMER_BUTTON)
    assert escalation_event(staffed).data["agents_online"] is True


def test_an_idle_close_records_the_reason_and_the_last_message(conversation_factory):
    import uuid

    conversation, _ = conversation_factory()
    result = services.receive_customer_message(conversation.pk, client_id=uuid.uuid4(), text="hi")
    later = timezone.now() + timedelta(hours=2)
    assert resolve_idle(timedelta(minutes=30), now=later) == 1
    event = ConversationEvent.objects.get(
        conversation=conversation, to_state=Conversation.State.RESOLVED
    )
    assert event.reason == "idle_timeout"
    assert event.data["last_message_at"] == result.message.created_at.isoformat()
