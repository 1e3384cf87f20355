"""Who is calling: the customer's address, behind the deployment's trusted proxies."""

from __future__ import annotations

from django.conf import settings


def client_address(forwarded_for: str, remote_addr: str) -> str:
    """The customer's address; behind N trusted proxies, the Nth entry from the right of
    X-Forwarded-For (entries further left are whatever the client chose to send)."""
    hops = settings.SUPPORTBOT["TRUSTED_PROXY_HOPS"]
    forwarded = [a.strip() for a in forwarded_for.split(",") if a.strip()]
    if hops and len(forwarded) >= hops:
        return forwarded[-hops]
    return remote_addr or "unknown"


def socket_address(scope: dict) -> str:
    """``client_address`` for a WebSocket's ASGI scope."""
    headers = dict(scope.get("headers") or [])
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    client = scope.get("client") or ("", 0)
    return client_address(forwarded, client[0] or "")
