"""``manage.py create_api_token USER [--name NAME]``: a bearer token for the dashboard's JSON
and CSV, printed once (only its hash is kept). The user must be an admin."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from supportbot.agents.roles import is_admin
from supportbot.analytics.models import ApiToken


class Command(BaseCommand):
    help = "Issue a dashboard API token for an admin (sent as 'Authorization: Bearer ...')."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="what the token is for (shown in admin)")

    def handle(self, *args, username: str, name: str, **options) -> None:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        if not is_admin(user):
            raise CommandError(f"{username!r} is not an admin; the dashboard is for admins")
        _token, plain = ApiToken.issue(user, name[:64])
        self.stdout.write(plain)
