"""The console's pages: login, logout and the single-page console (which then talks over
``/ws/agent/``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from supportbot.agents.roles import is_agent


@require_GET
@login_required
def console(request: HttpRequest) -> HttpResponse:
    if not is_agent(request.user):
        raise PermissionDenied("The console is for agents.")
    return render(
        request,
        "agent/console.html",
        {
            "ws_path": "/ws/agent/",
            "logout_url": "/agent/logout/",
            "sla_seconds": settings.SUPPORTBOT["FIRST_RESPONSE_SLA_S"],
        },
    )


class LoginView(auth_views.LoginView):
    template_name = "agent/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    next_page = "agent-login"
