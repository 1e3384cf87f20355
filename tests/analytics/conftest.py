"""A knowledge base for the bot to answer from, and the people on the support team."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.agents.conftest import make_user


@pytest.fixture
def demo_kb(transactional_db):
    call_command("load_demo_kb", verbosity=0)


@pytest.fixture
def team(transactional_db):
    """(anna, ben): two agents."""
    return make_user("anna"), make_user("ben")
