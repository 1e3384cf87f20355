"""What the login throttle (django-axes) and the Content-Security-Policy (django-csp) need
from the project: the caller's address, the refusal page, and the few pages whose policy
differs. The policies themselves are settings (supportbot/settings.py, docs/deployment.md)."""

from __future__ import annotations

import ipaddress

from csp.middleware import CSPMiddleware, PolicyParts
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import DisallowedHost
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.timesince import timeuntil

from supportbot.chat.clients import client_address

# Pages that still carry inline <style> (the demo shop and the help articles the widget
# links to); everything else gets the strict policy. They run no inline script either way.
INLINE_STYLE_PATHS = ("/help/",)
INLINE_STYLE_EXACT = ("/",)


def request_address(request: HttpRequest) -> str | None:
    """The caller's address for an HTTP request, behind the trusted proxies
    (``AXES_CLIENT_IP_CALLABLE``); None when it is no IP address (a test client, or a
    forged header), since django-axes stores it in an IP column (PostgreSQL's ``inet``)."""
    address = client_address(
        request.headers.get("X-Forwarded-For", ""), request.META.get("REMOTE_ADDR", "")
    )
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def refusal_message() -> str:
    now = timezone.now()
    wait = timeuntil(now + settings.AXES_COOLOFF_TIME, now)
    return (
        f"Too many failed attempts to log in as this user from your address. Try again in {wait}."
    )


def _refused_form(base: type[AuthenticationForm], request: HttpRequest) -> AuthenticationForm:
    """The login form as submitted (password left out), carrying the refusal as its error;
    no credentials are checked again."""
    message = refusal_message()

    class Refused(base):
        def clean(self):
            raise forms.ValidationError(message, code="throttled")

    username = request.POST.get("username", "")
    return Refused(request, data={"username": username, "password": "not checked"})


def login_refused(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the login page again, its form saying why and for how long,
    as 429 with ``Retry-After`` (the full cooling-off period, an upper bound)."""
    if request.path_info.startswith("/admin/"):
        context = {
            **admin.site.each_context(request),
            "title": "Log in",
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
            "form": _refused_form(AdminAuthenticationForm, request),
            "next": request.POST.get("next", ""),
        }
        template = "admin/login.html"
    else:
        context = {
            "form": _refused_form(AuthenticationForm, request),
            "next": request.POST.get("next", ""),
        }
        template = "agent/login.html"
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with two per-request additions it cannot express in settings:
    the app's own WebSocket origin in ``connect-src`` (``'self'`` covers it in CSP Level 3
    browsers; older Safari needs it spelled out), and ``'unsafe-inline'`` styles on the pages
    listed above."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponse, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only=report_only)
        update = dict(parts.update or {})
        scheme = "wss" if request.is_secure() else "ws"
        try:
            host = request.get_host()
        except DisallowedHost:  # the response is an error page anyway
            host = ""
        if host:
            update["connect-src"] = [*update.get("connect-src", []), f"{scheme}://{host}"]
        path = request.path_info
        if path in INLINE_STYLE_EXACT or path.startswith(INLINE_STYLE_PATHS):
            update["style-src"] = [*update.get("style-src", []), "'unsafe-inline'"]
        parts.update = update
        return parts
