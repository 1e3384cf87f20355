"""Settings come from the environment, fail loudly on bad values, and deploy clean."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PRODUCTION = {
    "SECRET_KEY": "k" * 20 + "-production-secret-from-the-environment-" + "z" * 20,
    "ALLOWED_HOSTS": "support.example.com",
    "DATABASE_URL": "sqlite:////tmp/supportbot-deploy-check.sqlite3",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    clean["DJANGO_SETTINGS_MODULE"] = "supportbot.settings"
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy_without_warnings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_needs_a_secret_key():
    result = manage("check", env={k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "is not a boolean"),
        ("SUPPORTBOT_MAX_BATCH_SIZE", "lots", "is not an integer"),
        ("SUPPORTBOT_MAX_BATCH_SIZE", "0", "must be at least 1"),
    ],
)
def test_bad_values_stop_the_start_with_a_clear_message(name, value, message):
    result = manage("check", env={**PRODUCTION, name: value})
    assert result.returncode != 0
    assert name in result.stderr and message in result.stderr


def test_redis_url_switches_channel_layer_and_cache():
    code = (
        "from django.conf import settings;"
        "print(settings.CHANNEL_LAYERS['default']['BACKEND']);"
        "print(settings.CACHES['default']['BACKEND'])"
    )
    result = manage(
        "shell", "-v", "0", "-c", code, env={**PRODUCTION, "REDIS_URL": "redis://127.0.0.1:6379/3"}
    )
    assert result.stdout.split() == [
        "channels_redis.pubsub.RedisPubSubChannelLayer",
        "django.core.cache.backends.redis.RedisCache",
    ]
    result = manage("shell", "-v", "0", "-c", code, env=PRODUCTION)
    assert result.stdout.split() == [
        "channels.layers.InMemoryChannelLayer",
        "django.core.cache.backends.locmem.LocMemCache",
    ]


def test_a_bad_safety_policy_stops_the_start_with_the_choices():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "DEBUG": "1", "SUPPORTBOT_SAFETY_ACTIONS": "hate=shout"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert (
        "SUPPORTBOT_SAFETY_ACTIONS" in result.stderr
        and "allow|redact|block|escalate" in result.stderr
    )
