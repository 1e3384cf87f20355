"""The exact figures again on PostgreSQL, where percentiles are the database's own
``percentile_cont`` and time zones are the server's ``AT TIME ZONE``, not Python's."""

from __future__ import annotations

from tests.postgres import run_on_postgresql


def test_figures_are_exact_on_postgresql():
    run_on_postgresql(
        ["tests/analytics/test_metrics_exact.py", "tests/analytics/test_windows.py"],
        "supportbot_analytics",
    )
