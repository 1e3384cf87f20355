"""Operator endpoints: ``/metrics`` for Prometheus, ``/healthz`` and ``/readyz`` for probes."""

from __future__ import annotations

import hmac
import ipaddress

from django.conf import settings
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from supportbot.ops import warmup
from supportbot.ops.metrics import exposition


def _allowed(request: HttpRequest) -> bool:
    """With METRICS_TOKEN set, a matching bearer token. Without one, only loopback callers
    and only with DEBUG: behind a local TLS proxy every public request is from loopback."""
    token = settings.SUPPORTBOT["METRICS_TOKEN"]
    if token:
        given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return hmac.compare_digest(given.encode(), token.encode())
    if not settings.DEBUG:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponse("forbidden\n", status=403, content_type="text/plain")
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)


def _ask_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def healthz(request: HttpRequest) -> JsonResponse:
    """Alive: the process answers, and so does its database."""
    _ask_database()
    return JsonResponse({"status": "ok"})


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """200 once this process can serve customers without making them wait: the database
    answers and the warm-up (``SUPPORTBOT_PRELOAD``) is done; 503 until then. A warm-up step
    that failed does not hold readiness back (its part loads on first use, and the console
    works without it); it is listed in ``failed`` and logged."""
    state = warmup.current().state()
    body = {"status": "ready", "pending": list(state.pending), "failed": list(state.failed)}
    try:
        _ask_database()
    except DatabaseError:
        return JsonResponse({**body, "status": "no_database"}, status=503)
    if not state.ready:
        response = JsonResponse({**body, "status": "warming"}, status=503)
        # Expected while starting, and asked every few seconds: not an error for the logs
        # (django.request logs every 5xx it has not been told is logged).
        response._has_been_logged = True
        return response
    return JsonResponse(body)
