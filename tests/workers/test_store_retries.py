"""A worker's reply survives a database hiccup at the moment it is stored.

The failure is injected at the database driver boundary (Django's execute wrapper): the first
insert of a message fails the way a dropped connection does, and the store must retry.
"""

from __future__ import annotations

import uuid

import pytest
import redis
from django.db import OperationalError, connection

from inference_worker.output_guard import GuardDecision
from inference_worker.sequence import FinishReason, StreamEvent
from supportbot.chat import services
from supportbot.chat.models import Actor, Conversation, Message
from supportbot.chat.prompts import build_reply_job
from supportbot.safety.models import SafetyEvent
from supportbot.serving.job_registry import RedisJobRecords
from supportbot.serving.worker_adapter import DjangoReplySink

pytestmark = pytest.mark.django_db(transaction=True)


class FailFirstInserts:
    """Raise OperationalError on the first ``times`` inserts into the message table."""

    def __init__(self, times: int) -> None:
        self.left = times
        self.failed = 0

    def __call__(self, execute, sql, params, many, context):
        if self.left and sql.lstrip().upper().startswith('INSERT INTO "CHAT_MESSAGE"'):
            self.left -= 1
            self.failed += 1
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)


@pytest.fixture
def sink(redis_server):
    client = redis.Redis.from_url(redis_server.url(3))
    yield DjangoReplySink(RedisJobRecords(client))
    client.flushdb()
    client.close()


@pytest.fixture
def job(conversation_factory):
    conversation, _token = conversation_factory()
    asked = services.receive_customer_message(
        conversation.pk, client_id=uuid.uuid4(), text="Where is my parcel?"
    )
    return build_reply_job(asked.message)


def finished(job, text: str) -> StreamEvent:
    at = job.queued_at
    return StreamEvent(
        job.request_id, text, done=True, finish_reason=FinishReason.STOP, num_tokens=5,
        submitted_at=at, first_token_at=at, finished_at=at,
    )  # fmt: skip


def test_a_generated_reply_is_stored_after_a_failed_attempt(sink, job):
    flaky = FailFirstInserts(times=1)
    with connection.execute_wrapper(flaky):
        stored = sink.store_reply(job, finished(job, "It ships tomorrow."), worker="w1")

    assert flaky.failed == 1
    assert stored
    reply = Message.objects.get(reply_to_id=job.reply_to_id, role=Actor.BOT)
    assert reply.text == "It ships tomorrow."


def test_a_blocked_reply_is_stored_after_a_failed_attempt(sink, job):
    flaky = FailFirstInserts(times=1)
    decision = GuardDecision(False, reason="link to another host", categories=("active_content",))
    event = finished(job, "Claim it at https://evil.example.net now.")
    with connection.execute_wrapper(flaky):
        sink.store_blocked_reply(job, event, decision, worker="w1")

    assert flaky.failed == 1
    reply = Message.objects.get(reply_to_id=job.reply_to_id, role=Actor.BOT)
    assert reply.finish_reason == "blocked" and "evil.example" not in reply.text
    # One reply, one safety event, one escalation: the retry did not double anything.
    assert Message.objects.filter(reply_to_id=job.reply_to_id, role=Actor.BOT).count() == 1
    assert SafetyEvent.objects.filter(direction=SafetyEvent.Direction.OUTPUT).count() == 1
    conversation = Conversation.objects.get(public_id=job.conversation)
    assert conversation.state == Conversation.State.WAITING_AGENT


def test_a_database_that_stays_down_reaches_the_runtime_and_stores_nothing(sink, job):
    flaky = FailFirstInserts(times=10)
    decision = GuardDecision(False, reason="link", categories=("active_content",))
    with connection.execute_wrapper(flaky), pytest.raises(OperationalError):
        event = finished(job, "https://evil.example.net")
        sink.store_blocked_reply(job, event, decision, worker="w")
    assert not Message.objects.filter(reply_to_id=job.reply_to_id, role=Actor.BOT).exists()
