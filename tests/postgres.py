"""Running some test files a second time on PostgreSQL, in a pytest subprocess.

SQLite serialises every write and has no percentile aggregate, so races and the database's
own arithmetic only show on PostgreSQL. The server is ``SUPPORTBOT_TEST_POSTGRES_URL``
(default: the local one on 127.0.0.1:5432, user postgres); in CI it must be there.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432"


def _reachable(server: str) -> bool:
    import psycopg

    try:
        psycopg.connect(server + "/postgres", connect_timeout=3).close()
    except psycopg.Error:
        return False
    return True


def run_on_postgresql(files: list[str], database: str) -> None:
    """Run ``files`` against ``database`` on the test server; fail with their output."""
    url = os.environ.get("SUPPORTBOT_TEST_POSTGRES_URL", f"{DEFAULT_SERVER}/{database}")
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.skip("this whole run is on PostgreSQL already")
    if not _reachable(url.rsplit("/", 1)[0]):
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI ({url})")
        pytest.skip(f"no PostgreSQL server at {url}")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
