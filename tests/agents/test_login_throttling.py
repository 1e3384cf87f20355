"""Login throttling (django-axes): N failures for one username from one address refuse that
pair for the cooling-off period, on the console's login and the admin's, behind the proxy too."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from tests.agents.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)

AGENT_LOGIN = "/agent/login/"
ADMIN_LOGIN = "/admin/login/"


def attempt(client, path, username, password, **extra):
    return client.post(path, {"username": username, "password": password}, **extra)


def fail_until_refused(client, path, username, **extra):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = attempt(client, path, username, "wrong", **extra)
    return response


def assert_refused(response):
    assert response.status_code == 429
    assert int(response["Retry-After"]) == int(settings.AXES_COOLOFF_TIME.total_seconds())
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in response.wsgi_request.session


def test_failures_below_the_limit_only_show_the_usual_error(client):
    make_user("ana")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = attempt(client, AGENT_LOGIN, "ana", "wrong")
        assert response.status_code == 200
        assert "Too many failed attempts" not in response.content.decode()
    response = attempt(client, AGENT_LOGIN, "ana", "pw-ana")
    assert response.status_code == 302 and response["Location"] == "/agent/"


def test_the_limit_refuses_even_the_right_password_with_a_clear_message(client):
    make_user("ben")
    response = fail_until_refused(client, AGENT_LOGIN, "ben")
    assert_refused(response)
    page = response.content.decode()
    assert 'data-testid="login-error"' in page and 'data-testid="login-form"' in page
    assert "15\xa0minutes" in page  # the default cooling-off, said on the form
    assert_refused(attempt(client, AGENT_LOGIN, "ben", "pw-ben"))
    assert client.get("/agent/").status_code == 302  # still not logged in


def test_a_success_forgets_earlier_failures(client):
    make_user("cem")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, AGENT_LOGIN, "cem", "wrong")
    assert attempt(client, AGENT_LOGIN, "cem", "pw-cem").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert attempt(client, AGENT_LOGIN, "cem", "wrong").status_code == 200


def test_the_real_user_elsewhere_and_other_users_here_are_not_refused(client):
    make_user("dan")
    make_user("eve")
    assert_refused(fail_until_refused(client, AGENT_LOGIN, "dan", REMOTE_ADDR="203.0.113.9"))
    response = attempt(client, AGENT_LOGIN, "eve", "pw-eve", REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302
    client.logout()
    response = attempt(client, AGENT_LOGIN, "dan", "pw-dan", REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 302


def test_the_refusal_ends_after_the_cooling_off_and_attempts_during_it_do_not_prolong_it(client):
    make_user("fay")
    assert_refused(fail_until_refused(client, AGENT_LOGIN, "fay"))
    cool_off = settings.AXES_COOLOFF_TIME
    with time_machine.travel(timezone.now() + cool_off - timedelta(seconds=30)):
        assert_refused(attempt(client, AGENT_LOGIN, "fay", "wrong"))
    with time_machine.travel(timezone.now() + cool_off + timedelta(seconds=1)):
        assert attempt(client, AGENT_LOGIN, "fay", "pw-fay").status_code == 302


def test_the_admin_login_is_throttled_too(client):
    make_user("gus", role="admin")
    response = fail_until_refused(client, ADMIN_LOGIN, "gus")
    assert_refused(response)
    assert "Django administration" in response.content.decode()  # the admin's own page
    assert_refused(attempt(client, ADMIN_LOGIN, "gus", "pw-gus"))
    # One budget per username and address, whichever page spends it.
    assert_refused(attempt(client, AGENT_LOGIN, "gus", "pw-gus"))


def test_behind_the_proxy_each_customer_address_counts_apart_and_forged_entries_do_not_help(
    client, settings
):
    settings.SUPPORTBOT = {**settings.SUPPORTBOT, "TRUSTED_PROXY_HOPS": 1}
    make_user("hal")
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(settings.AXES_FAILURE_LIMIT):
        # The attacker writes a new address of their own each time; the proxy appends theirs.
        forged = {"HTTP_X_FORWARDED_FOR": f"192.0.2.{n}, 203.0.113.50", **proxy}
        response = attempt(client, AGENT_LOGIN, "hal", "wrong", **forged)
    assert_refused(response)
    forged = {"HTTP_X_FORWARDED_FOR": "192.0.2.200, 203.0.113.50", **proxy}
    assert_refused(attempt(client, AGENT_LOGIN, "hal", "pw-hal", **forged))
    # The real agent, through the same proxy from their own address, logs in.
    real = {"HTTP_X_FORWARDED_FOR": "198.51.100.20", **proxy}
    assert attempt(client, AGENT_LOGIN, "hal", "pw-hal", **real).status_code == 302


async def test_the_refusal_page_is_served_on_the_asgi_path_too(async_client):
    """daphne runs the middleware chain asynchronously (django-axes' other code path)."""
    from channels.db import database_sync_to_async

    await database_sync_to_async(make_user)("ivy")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = await async_client.post(AGENT_LOGIN, {"username": "ivy", "password": "wrong"})
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert response["Retry-After"] == str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    response = await async_client.post(AGENT_LOGIN, {"username": "ivy", "password": "pw-ivy"})
    assert response.status_code == 429
