"""The claim race and the relay between customer and agent, again on PostgreSQL.

SQLite serialises every write, so a racy claim can pass there by luck; PostgreSQL runs the
racing transactions truly at once. The suite runs on SQLite, so this test runs the two files
in a pytest subprocess against the PostgreSQL server named by ``SUPPORTBOT_TEST_POSTGRES_URL``
(default: the local server on 127.0.0.1:5432, user postgres).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/supportbot_agents"
FILES = ["tests/agents/test_claim_race.py", "tests/agents/test_handoff_flow.py"]


def _reachable(url: str) -> bool:
    import psycopg

    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    try:
        psycopg.connect(admin_url, connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def test_claims_and_relays_hold_on_postgresql(tmp_path):
    url = os.environ.get("SUPPORTBOT_TEST_POSTGRES_URL", DEFAULT_URL)
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("this whole run is on PostgreSQL already")
    if not _reachable(url):
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI ({url})")
        pytest.skip(f"no PostgreSQL server at {url}")
    env = {**os.environ, "DATABASE_URL": url}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *FILES],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
