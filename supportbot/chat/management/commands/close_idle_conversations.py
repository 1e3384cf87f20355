"""``manage.py close_idle_conversations --after-minutes 30``: resolve bot chats left idle.

DESIGN.md: a bot conversation ends when the customer says it is solved, or after an idle
timeout. Run it from cron or a scheduler every few minutes; the customer is asked for the
rating when they come back to the widget.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand

from supportbot.chat.escalation import resolve_idle


class Command(BaseCommand):
    help = "Resolve conversations with the bot that nobody wrote in for a while."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--after-minutes", type=int, default=30)

    def handle(self, *args, after_minutes: int, **options) -> None:
        closed = resolve_idle(timedelta(minutes=after_minutes))
        self.stdout.write(f"resolved {closed} idle conversation(s)")
