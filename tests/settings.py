"""Settings for the test run: the project's settings with test-friendly environment defaults.

Defaults are set before ``supportbot.settings`` reads the environment; anything exported by
the caller (e.g. DATABASE_URL for a PostgreSQL run) still wins.
"""

import os

# The dev secret key and local hosts are only allowed with DEBUG; pytest-django still runs
# each test with settings.DEBUG = False.
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("SUPPORTBOT_MODEL", "tiny-moe")
os.environ.setdefault("SUPPORTBOT_MAX_NEW_TOKENS", "24")
os.environ.setdefault("SUPPORTBOT_METRICS_TOKEN", "test-metrics-token")
# The tiny test model writes random tokens; guard tests drive the guard with scripted streams.
os.environ.setdefault("SUPPORTBOT_OUTPUT_GUARD", "0")
# Likewise the quality checks (its noise has numbers and no language); their tests turn them on.
os.environ.setdefault("SUPPORTBOT_GROUNDING_CHECK", "0")
os.environ.setdefault("SUPPORTBOT_REPLY_LANGUAGE_CHECK", "0")
os.environ.setdefault("SUPPORTBOT_VAR_DIR", os.path.join(os.path.dirname(__file__), "..", "var"))

from supportbot.settings import *  # noqa: F403

# Celery workers started by the tests are separate processes: they must find the test
# database in a file, not in this process's memory.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test session, so two sessions in one checkout never share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(VAR_DIR, f"test-db-{os.getpid()}.sqlite3")  # noqa: F405
    }
