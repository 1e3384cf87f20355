"""``manage.py rebuild_facts``: derive every conversation's facts again from its rows, then
recount the daily rollups. For history written before analytics existed, after a change of
metric definitions, or after changing ``SUPPORTBOT_DASHBOARD_TZ``."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm

from supportbot.analytics import facts, rollups
from supportbot.chat.models import Conversation


class Command(BaseCommand):
    help = "Rebuild the dashboard's fact rows and daily rollups from the conversations."

    def handle(self, *args, **options) -> None:
        ids = Conversation.objects.filter(started_at__isnull=False).values_list("pk", flat=True)
        total = ids.count()
        for pk in tqdm(ids.iterator(chunk_size=2000), total=total, disable=total < 1000,
                       desc="facts", unit="conversation"):  # fmt: skip
            facts.rebuild(pk)
        groups = rollups.rebuild_all()
        self.stdout.write(f"{total} conversations, {groups} rollup rows")
