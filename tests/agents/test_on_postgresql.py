"""The claim race and the relay between customer and agent, again on PostgreSQL: SQLite
serialises every write, so a racy claim can pass there by luck; PostgreSQL runs the racing
transactions truly at once."""

from __future__ import annotations

from tests.postgres import run_on_postgresql


def test_claims_and_relays_hold_on_postgresql():
    run_on_postgresql(
        ["tests/agents/test_claim_race.py", "tests/agents/test_handoff_flow.py"],
        "supportbot_agents",
    )
