"""Starting conversations: a limit per visitor at an address under a higher ceiling per
address, so an office behind one NAT address is not one customer; refusals say how long
to wait (429, Retry-After)."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from supportbot.chat.models import Conversation
from supportbot.chat.ratelimit import spend_in_cache

pytestmark = pytest.mark.django_db

URL = "/api/conversations"


def start(client, visitor: str, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post(URL, {"visitor": visitor}, content_type="application/json", headers=headers)


def test_a_whole_office_behind_one_address_can_start_chats_with_the_defaults(client):
    # 150 colleagues (or a mobile carrier's NAT): more than one visitor's hourly limit.
    codes = {start(client, f"office-{n}").status_code for n in range(150)}
    assert codes == {201}


def test_one_visitor_over_the_limit_is_told_when_to_retry_and_others_are_not(client, settings):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "CONVERSATIONS_PER_HOUR_PER_IP": 3}
    assert [start(client, "eager").status_code for _ in range(3)] == [201, 201, 201]
    refused = start(client, "eager")
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "rate_limited"
    assert isinstance(body["retry_after"], int) and 1 <= body["retry_after"] <= 2 * 3600
    assert refused["Retry-After"] == str(body["retry_after"])
    assert start(client, "colleague").status_code == 201
    assert Conversation.objects.filter(visitor_id="eager").count() == 3


def test_new_visitor_ids_every_time_meet_the_address_ceiling(client, settings):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "CONVERSATIONS_PER_HOUR_PER_ADDRESS": 5}
    codes = [start(client, f"fake-{n}").status_code for n in range(6)]
    assert codes == [201] * 5 + [429]


def test_behind_the_proxy_the_forwarded_address_is_the_one_limited(client, settings):
    settings.SUPPORTBOT = {
        **settings.SUPPORTBOT,
        "TRUSTED_PROXY_HOPS": 1,
        "CONVERSATIONS_PER_HOUR_PER_ADDRESS": 2,
    }
    assert start(client, "a", "203.0.113.7").status_code == 201
    assert start(client, "b", "203.0.113.7").status_code == 201
    assert start(client, "c", "203.0.113.7").status_code == 429
    # Another customer behind the same proxy has their own allowance...
    assert start(client, "d", "198.51.100.9").status_code == 201
    # ...and a forged left-most entry does not buy one: the proxy's own entry counts.
    assert start(client, "e", "10.9.9.9, 203.0.113.7").status_code == 429


def test_refusal_carries_cors_headers_the_widget_can_read(client, settings):
    settings.SUPPORTBOT = {
        **settings.SUPPORTBOT,
        "WIDGET_ORIGINS": ["https://shop.example"],
        "CONVERSATIONS_PER_HOUR_PER_IP": 1,
    }
    headers = {"Origin": "https://shop.example"}
    post = lambda: client.post(  # noqa: E731
        URL, {"visitor": "v"}, content_type="application/json", headers=headers
    )
    assert post().status_code == 201
    refused = post()
    assert refused.status_code == 429
    assert refused["Access-Control-Allow-Origin"] == "https://shop.example"
    assert "Retry-After" in refused["Access-Control-Expose-Headers"]


@pytest.mark.parametrize("window_s,limit", [(10, 3), (3600, 60), (60, 1)])
def test_waiting_the_retry_after_is_enough_and_waiting_less_is_not(window_s, limit):
    cache.clear()
    now = 1_000_000 * window_s + window_s * 0.7  # well into a window
    key = f"probe-{window_s}-{limit}"
    while not (wait := spend_in_cache(key, limit, window_s, now=now)):
        now += window_s / (4 * limit)  # spend the budget at a steady pace
    # One second early is still refused (that attempt counts too, as a client's would)...
    assert spend_in_cache(key, limit, window_s, now=now + wait - 1) > 0
    # ...but with that early attempt counted, its own answer is enough.
    early = spend_in_cache(key, limit, window_s, now=now + wait - 1)
    assert spend_in_cache(key, limit, window_s, now=now + wait - 1 + early) == 0
