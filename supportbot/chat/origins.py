"""Which web origins may use the chat API and socket: the widget lives on other sites."""

from __future__ import annotations

from urllib.parse import urlparse

from channels.security.websocket import OriginValidator
from django.conf import settings


def allowed_origin_patterns() -> list[str]:
    """Sites listed in SUPPORTBOT_WIDGET_ORIGINS plus our own hosts (ALLOWED_HOSTS)."""
    patterns = list(settings.SUPPORTBOT["WIDGET_ORIGINS"])
    for host in settings.ALLOWED_HOSTS:
        patterns.append("*" if host == "*" else host)
    if settings.DEBUG and not settings.ALLOWED_HOSTS:
        patterns += ["localhost", "127.0.0.1", "[::1]"]
    return patterns


class WidgetOriginValidator(OriginValidator):
    """channels' validator, with the allow-list read from settings at each connection."""

    def __init__(self, application) -> None:
        super().__init__(application, [])

    async def __call__(self, scope, receive, send):
        self.allowed_origins = allowed_origin_patterns()
        return await super().__call__(scope, receive, send)


def origin_allowed(origin: str | None) -> bool:
    """Same rules for plain HTTP calls; a request without Origin is not from a browser page."""
    if not origin:
        return True
    parsed = urlparse(origin.lower())
    if not parsed.scheme or not parsed.hostname:
        return False
    validator = OriginValidator(None, allowed_origin_patterns())
    return validator.valid_origin(parsed)
