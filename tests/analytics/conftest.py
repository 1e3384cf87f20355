"""Articles for the bot to answer from, and the people on the support team."""

from __future__ import annotations

import pytest

from tests.agents.conftest import make_user
from tests.analytics.history import load_some_articles


@pytest.fixture
def demo_kb(transactional_db, tmp_path):
    load_some_articles(tmp_path / "kb")


@pytest.fixture
def team(transactional_db):
    """(anna, ben): two agents."""
    return make_user("anna"), make_user("ben")
