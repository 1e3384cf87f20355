"""The experiments' pages and JSON (docs/experiments.md): thin, like the dashboard's
views; ``experiment_results`` computes, ``experiment_page`` formats."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportbot.analytics import experiment_page, experiment_results
from supportbot.analytics.access import admin_api, admin_page
from supportbot.experiments.models import Experiment

LOGOUT_URL = "/agent/logout/"


def _experiment(name: str) -> Experiment | None:
    return Experiment.objects.filter(name=name).first()


@require_GET
@admin_api
def experiments(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"experiments": experiment_results.overview()})


@require_GET
@admin_api
def experiment(request: HttpRequest, name: str) -> JsonResponse:
    found = _experiment(name)
    if found is None:
        return JsonResponse({"error": f"no experiment named {name!r}"}, status=404)
    return JsonResponse(experiment_results.results(found))


@require_GET
@admin_page
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "dashboard/experiments.html",
        {"experiments": experiment_results.overview(), "logout_url": LOGOUT_URL},
    )


@require_GET
@admin_page
def page(request: HttpRequest, name: str) -> HttpResponse:
    found = _experiment(name)
    if found is None:
        raise Http404(f"no experiment named {name}")
    return render(
        request,
        "dashboard/experiment.html",
        {
            **experiment_page.context(experiment_results.results(found)),
            "json_url": f"/dashboard/api/experiments/{found.name}",
            "logout_url": LOGOUT_URL,
        },
    )
