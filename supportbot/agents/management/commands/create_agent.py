"""``manage.py create_agent NAME [--admin]``: a console login, password from the environment."""

from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from supportbot.agents.roles import ensure_groups


class Command(BaseCommand):
    help = "Create or update a support agent (or admin) who can log in to /agent/."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")
        parser.add_argument("--first-name", default="", help="the name customers see")
        parser.add_argument("--admin", action="store_true", help="also an admin (Django admin)")
        parser.add_argument(
            "--password-env",
            default="SUPPORTBOT_AGENT_PASSWORD",
            help="environment variable holding the password (never a command-line argument)",
        )

    def handle(self, *args, username: str, first_name: str, admin: bool, password_env: str, **_):
        password = os.environ.get(password_env)
        if not password:
            raise CommandError(f"set {password_env} to the agent's password")
        agent_group, admin_group = ensure_groups()
        user, created = get_user_model().objects.get_or_create(username=username)
        user.set_password(password)
        if first_name:
            user.first_name = first_name
        user.is_staff = admin  # Django admin needs it; agents never see /admin/
        user.save()
        user.groups.add(agent_group)
        if admin:
            user.groups.add(admin_group)
        role = "admin" if admin else "agent"
        self.stdout.write(f"{'created' if created else 'updated'} {role} {username}")
