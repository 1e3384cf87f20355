"""``manage.py seed_demo --conversations 500 --days 30``: weeks of believable history for the
dashboard, written through the product's own services (``supportbot.analytics.demo`` says how).
Deterministic for a seed within the same hour; refuses without DEBUG unless forced."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from supportbot.analytics import demo
from supportbot.analytics.demo.team import AGENT_NAMES


class Command(BaseCommand):
    help = (
        "Fill the database with realistic demo conversations over the last days, through the "
        "product's services, for a living dashboard (DEBUG only unless --force)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--conversations", type=int, default=200)
        parser.add_argument("--days", type=int, default=14)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--agents", type=int, default=4, help="demo agents to create/use")
        parser.add_argument(
            "--force", action="store_true", help="write the fake customers even without DEBUG"
        )

    def handle(self, *args, conversations: int, days: int, seed: int, agents: int,
               force: bool, **options) -> None:  # fmt: skip
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo writes fake customers, agents and conversations; DEBUG is off, so "
                "this may be a production database. Pass --force to write them anyway."
            )
        if conversations < 1 or days < 1 or not 1 <= agents <= len(AGENT_NAMES):
            raise CommandError(
                f"--conversations and --days must be positive, --agents 1..{len(AGENT_NAMES)}"
            )
        with tqdm(total=conversations, desc="conversations", unit="conv") as bar:
            try:
                report = demo.seed_history(
                    conversations=conversations,
                    days=days,
                    seed=seed,
                    agents=agents,
                    progress=bar.update,
                    out=self.stdout,
                )
            except demo.NothingToAsk as exc:
                raise CommandError(str(exc)) from exc
        self.stdout.write(str(report))
