"""The dashboard: its page, the JSON behind it (docs/dashboard.md) and the CSV export.
Views parse the request, call the metrics module and answer; nothing is computed here."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportbot.analytics import engine_panel, export, metrics, series
from supportbot.analytics.access import admin_api, admin_page
from supportbot.analytics.metrics import Window
from supportbot.analytics.params import BadParameter, parse_int, parse_window

BREAKDOWNS = ("language", "variant", "arm")
DRILL_DOWN_LIMIT = 200


def windowed(view: Callable) -> Callable:
    """Hand the view the request's window; a bad parameter, there or in the view, is a 400
    that names it."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, parse_window(request.GET), *args, **kwargs)
        except (BadParameter, metrics.UnknownSelection) as error:
            return JsonResponse({"error": str(error)}, status=400)

    return wrapped


@require_GET
@admin_page
def page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboard/index.html",
        {
            "default_tz": settings.SUPPORTBOT["DASHBOARD_TZ"],
            "console_url": "/agent/",
            "logout_url": "/agent/logout/",
        },
    )


@require_GET
@windowed
@admin_api
def summary(request: HttpRequest, window: Window) -> JsonResponse:
    return JsonResponse(metrics.summary(window))


@require_GET
@windowed
@admin_api
def daily(request: HttpRequest, window: Window) -> JsonResponse:
    return JsonResponse(
        {
            "window": window.describe(),
            "from_rollups": series.uses_rollups(window),
            "days": series.daily(window),
        }
    )


@require_GET
@windowed
@admin_api
def tables(request: HttpRequest, window: Window) -> JsonResponse:
    """Breakdowns by language, variant, arm and agent, and the cost table per variant."""
    return JsonResponse(
        {
            "window": window.describe(),
            **{name: metrics.breakdown(window, name) for name in BREAKDOWNS},
            "agents": metrics.agents(window),
            "variant_costs": metrics.variant_costs(window),
        }
    )


@require_GET
@windowed
@admin_api
def conversations(request: HttpRequest, window: Window) -> JsonResponse:
    """Drill-down: the conversations behind one number (``select``, see metrics.SELECTIONS)."""
    name = request.GET.get("select", "started")
    condition = metrics.selection(name)
    limit = parse_int(request.GET, "limit", 50, low=1, high=DRILL_DOWN_LIMIT)
    offset = parse_int(request.GET, "offset", 0, low=0, high=10**9)
    facts = window.facts().filter(condition)
    total = facts.count()
    page_rows = facts.order_by("-started_at", "-pk").values(
        "public_id", "started_at", "language", "variant", "arm", "state", "segment",
        "escalation_reason", "resolve_reason", "csat_rating", "handling_s",
    )[offset : offset + limit]  # fmt: skip
    items = [
        {
            **row,
            "public_id": str(row["public_id"]),
            "started_at": row["started_at"].astimezone(window.tz).isoformat(),
            "url": f"/agent/#conversation={row['public_id']}",
        }
        for row in page_rows
    ]
    following = offset + limit if offset + limit < total else None
    return JsonResponse(
        {
            "select": name,
            "count": total,
            "offset": offset,
            "next_offset": following,
            "conversations": items,
        }
    )


@require_GET
@admin_api
def engine(request: HttpRequest) -> JsonResponse:
    return JsonResponse(engine_panel.snapshot())


@require_GET
@windowed
@admin_api
def export_csv(request: HttpRequest, window: Window) -> HttpResponse:
    condition = metrics.selection(request.GET.get("select", "started"))
    response = StreamingHttpResponse(
        export.csv_lines(window, condition), content_type="text/csv; charset=utf-8"
    )
    stamp = window.start.astimezone(window.tz).date().isoformat() if window.start else "all"
    response["Content-Disposition"] = f'attachment; filename="conversations-{stamp}.csv"'
    return response
