"""A scratch SQLite database for a benchmark: Django set up on it and migrated."""

from __future__ import annotations

import os
from pathlib import Path


def setup_scratch_database(db_path: Path) -> None:
    os.environ.setdefault("DEBUG", "1")
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "supportbot.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
