"""Security headers on every page, the Content-Security-Policy per page, and HTTPS behind
the TLS proxy (SECURE_PROXY_SSL_HEADER and HSTS follow SUPPORTBOT_TRUSTED_PROXY_HOPS)."""

from __future__ import annotations

import pytest

from tests.agents.conftest import make_user
from tests.test_settings import PRODUCTION, manage

pytestmark = pytest.mark.django_db


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {name: values for name, *values in parts}


def assert_strict(response, *, inline_style: bool = False) -> None:
    csp = directives(response)
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert csp["object-src"] == ["'none'"] and csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["style-src"] == (["'self'", "'unsafe-inline'"] if inline_style else ["'self'"])
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.parametrize(
    ("path", "who"),
    [
        ("/agent/login/", None),
        ("/agent/", "agent"),
        ("/dashboard/", "admin"),
        ("/dashboard/experiments/", "admin"),
        ("/admin/login/", None),
        ("/admin/", "admin"),
    ],
)
def test_console_dashboard_login_and_admin_pages_get_the_strict_policy(client, path, who):
    if who:
        client.force_login(make_user(f"{who}-user", role=who))
    response = client.get(path)
    assert response.status_code == 200
    assert_strict(response)


def test_the_demo_shop_may_style_inline_but_never_script(client):
    assert_strict(client.get("/"), inline_style=True)


def test_connect_src_names_the_apps_own_socket_origin(client):
    assert directives(client.get("/agent/login/"))["connect-src"] == ["'self'", "ws://testserver"]
    secure = client.get("/agent/login/", secure=True)
    assert directives(secure)["connect-src"] == ["'self'", "wss://testserver"]


def test_hsts_is_sent_only_on_https(client, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    assert "Strict-Transport-Security" not in client.get("/agent/login/")
    assert client.get("/agent/login/", secure=True)["Strict-Transport-Security"].startswith(
        "max-age=3600"
    )


# What production settings make of a request that came through the TLS proxy.
THROUGH_THE_PROXY = """
from django.conf import settings
from django.test import Client
print("header", settings.SECURE_PROXY_SSL_HEADER)
response = Client().get(
    "/agent/login/", HTTP_HOST="support.example.com", HTTP_X_FORWARDED_PROTO="https",
    HTTP_X_FORWARDED_FOR="198.51.100.4", REMOTE_ADDR="10.0.0.2",
)
print("status", response.status_code)
print("hsts", response.get("Strict-Transport-Security"))
"""


def through_the_proxy(**env: str) -> dict[str, str]:
    result = manage("shell", "-v", "0", "-c", THROUGH_THE_PROXY, env={**PRODUCTION, **env})
    assert result.returncode == 0, result.stderr
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if " " in line)


def test_behind_trusted_proxy_hops_https_is_recognised_and_hsts_sent():
    seen = through_the_proxy(SUPPORTBOT_TRUSTED_PROXY_HOPS="1")
    assert seen["header"] == "('HTTP_X_FORWARDED_PROTO', 'https')"
    assert seen["status"] == "200"  # not redirected to HTTPS again
    assert seen["hsts"] == "max-age=31536000; includeSubDomains; preload"


def test_without_hops_the_forwarded_proto_is_not_trusted_unless_asked():
    seen = through_the_proxy()
    assert seen["header"] == "None"
    assert seen["status"] == "301"  # SECURE_SSL_REDIRECT: the header alone proves nothing
    assert seen["hsts"] == "None"
    assert through_the_proxy(BEHIND_TLS_PROXY="1")["status"] == "200"
    opted_out = through_the_proxy(SUPPORTBOT_TRUSTED_PROXY_HOPS="1", BEHIND_TLS_PROXY="0")
    assert opted_out["header"] == "None"


def test_check_deploy_is_clean_behind_the_proxy_too():
    env = {**PRODUCTION, "SUPPORTBOT_TRUSTED_PROXY_HOPS": "1"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
