"""Who may read the dashboard: an admin's session, or an admin's API token sent as
``Authorization: Bearer ...`` (``manage.py create_api_token``). Agents are refused."""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone

from supportbot.agents.roles import is_admin
from supportbot.analytics.models import ApiToken, hash_api_token


def token_user(request: HttpRequest):
    """The active admin a valid bearer token belongs to, or None."""
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_api_token(header.removeprefix("Bearer ").strip()))
        .first()
    )
    if token is None or not is_admin(token.user):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def admin_api(view: Callable) -> Callable:
    """JSON and CSV endpoints: 401 without credentials, 403 for anyone but an admin."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if "Authorization" in request.headers:
            user = token_user(request)
            if user is None:
                return JsonResponse({"error": "invalid or revoked API token"}, status=401)
            request.user = user
        elif not request.user.is_authenticated:
            return JsonResponse({"error": "log in or send an admin API token"}, status=401)
        elif not is_admin(request.user):
            return JsonResponse({"error": "the dashboard is for admins"}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def admin_page(view: Callable) -> Callable:
    """Pages: the console's login for strangers, 403 for agents."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not is_admin(request.user):
            return HttpResponse("The dashboard is for admins.", status=403,
                                content_type="text/plain")  # fmt: skip
        return view(request, *args, **kwargs)

    return wrapped
