"""POST /api/conversations: the widget's first call, from any allowed site."""

from __future__ import annotations

import pytest

from supportbot.chat.models import Conversation, ConversationEvent

pytestmark = pytest.mark.django_db

URL = "/api/conversations"


def test_creates_a_conversation_with_a_token_for_its_socket(client):
    response = client.post(
        URL, {"locale": "de-AT", "visitor": "v-1"}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    conversation = Conversation.objects.get(public_id=body["conversation"])
    assert conversation.language == "de" and conversation.locale == "de-AT"
    assert conversation.visitor_id == "v-1" and conversation.variant is not None
    assert (
        conversation.token_matches(body["token"]) and body["token"] not in conversation.token_hash
    )
    assert len(body["token"]) >= 22  # 128 bits, url-safe base64
    # The token goes in Sec-WebSocket-Protocol, never in the URL (tests/chat/test_socket_auth.py).
    assert body["ws"] == f"/ws/chat/{conversation.public_id}/"
    assert ConversationEvent.objects.get(conversation=conversation).kind == "created"


def test_empty_body_is_fine(client):
    response = client.post(URL, content_type="application/json")
    assert response.status_code == 201
    assert response.json()["language"] == "en"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "invalid_json"),
        ("[]", "invalid_json"),
        ('{"locale": 5}', "invalid_field"),
        ('{"visitor": "' + "v" * 65 + '"}', "invalid_field"),
    ],
)
def test_bad_bodies_are_refused_and_nothing_is_created(client, body, code):
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert not Conversation.objects.exists()


def test_foreign_origin_is_refused(client):
    response = client.post(
        URL, content_type="application/json", headers={"Origin": "https://evil.example"}
    )
    assert response.status_code == 403
    assert not Conversation.objects.exists()


def test_allowed_widget_origin_gets_cors_headers(client, settings):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "WIDGET_ORIGINS": ["https://shop.example"]}
    preflight = client.options(URL, headers={"Origin": "https://shop.example"})
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "https://shop.example"
    response = client.post(
        URL, content_type="application/json", headers={"Origin": "https://shop.example"}
    )
    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == "https://shop.example"


def test_get_is_not_allowed(client):
    assert client.get(URL).status_code == 405


def test_one_address_cannot_open_endless_conversations(client, settings):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "CONVERSATIONS_PER_HOUR_PER_IP": 3}
    from django.core.cache import cache

    cache.clear()
    codes = [client.post(URL, content_type="application/json").status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    assert Conversation.objects.count() == 3


def test_behind_a_proxy_each_customer_address_has_its_own_limit(client, settings):
    settings.SUPPORTBOT = {
        **settings.SUPPORTBOT,
        "CONVERSATIONS_PER_HOUR_PER_IP": 1,
        "TRUSTED_PROXY_HOPS": 1,
    }
    from django.core.cache import cache

    cache.clear()

    def create(forwarded_for: str) -> int:
        headers = {"X-Forwarded-For": forwarded_for}
        return client.post(URL, content_type="application/json", headers=headers).status_code

    assert create("203.0.113.7") == 201
    assert create("198.51.100.9") == 201
    # A spoofed left-most entry does not buy a new allowance: the proxy's entry counts.
    assert create("10.9.9.9, 203.0.113.7") == 429


def test_demo_page_embeds_the_widget_with_one_script_tag(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("<script") == 1 and "supportbot/widget.js" in html


def test_healthz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
