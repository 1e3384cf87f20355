"""Assignment again on PostgreSQL: its insert-or-nothing is raw SQL, so each backend runs it."""

from __future__ import annotations

from tests.postgres import run_on_postgresql


def test_assignment_on_postgresql():
    run_on_postgresql(["tests/experiments/test_assignment.py"], "supportbot_experiments")
