"""HTTP endpoints of the customer chat: start a conversation, the demo page, health."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from supportbot.chat import services
from supportbot.chat.clients import client_address
from supportbot.chat.frames import socket_path
from supportbot.chat.origins import origin_allowed
from supportbot.chat.ratelimit import conversation_budget


def _error(status: int, code: str, detail: str) -> JsonResponse:
    return JsonResponse({"error": {"code": code, "detail": detail}}, status=status)


def _with_cors(response: HttpResponse, origin: str | None) -> HttpResponse:
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Expose-Headers"] = "Retry-After"
        response["Access-Control-Max-Age"] = "600"
        response["Vary"] = "Origin"
    return response


def _rate_limited(retry_after: int) -> JsonResponse:
    """429 with the wait in seconds, in the header and in the body (docs/protocol.md)."""
    response = JsonResponse({"error": "rate_limited", "retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response


def _client_ip(request: HttpRequest) -> str:
    return client_address(
        request.headers.get("X-Forwarded-For", ""), request.META.get("REMOTE_ADDR", "")
    )


# The widget calls this from other sites, with no cookies and no session: there is no
# ambient authority for CSRF to protect, and the origin is checked against the allow-list.
@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
def create_conversation(request: HttpRequest) -> HttpResponse:
    origin = request.headers.get("Origin")
    if not origin_allowed(origin):
        return _error(403, "origin_not_allowed", "This site may not embed the chat.")
    if request.method == "OPTIONS":
        return _with_cors(HttpResponse(status=204), origin)
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return _with_cors(_error(400, "invalid_json", "The body is not valid JSON."), origin)
    if not isinstance(payload, dict):
        return _with_cors(_error(400, "invalid_json", "The body must be a JSON object."), origin)
    locale, visitor = payload.get("locale"), payload.get("visitor", "")
    if locale is not None and (not isinstance(locale, str) or len(locale) > 35):
        return _with_cors(_error(400, "invalid_field", "'locale' must be a language tag."), origin)
    if not isinstance(visitor, str) or len(visitor) > 64:
        return _with_cors(
            _error(400, "invalid_field", "'visitor' must be a string of at most 64 characters."),
            origin,
        )
    # Per visitor at this address, under a higher ceiling for the whole address: a shop's
    # office (one NAT address) is many visitors, not one.
    address = _client_ip(request)
    wait = conversation_budget().spend(f"{address}/{visitor}", address)
    if wait:
        return _with_cors(_rate_limited(wait), origin)
    conversation, token = services.create_conversation(
        locale=locale, visitor_id=visitor, origin=origin or "", client_address=address
    )
    body = {
        "conversation": str(conversation.public_id),
        "token": token,
        # The token travels in Sec-WebSocket-Protocol, never in the URL (access logs).
        "ws": socket_path(conversation.public_id),
        "language": conversation.language,
    }
    return _with_cors(JsonResponse(body, status=201), origin)


def demo(request: HttpRequest) -> HttpResponse:
    context = {
        "widget_server": f"{request.scheme}://{request.get_host()}",
        "widget_locale": request.GET.get("locale", "")[:35],
    }
    return render(request, "demo.html", context)
