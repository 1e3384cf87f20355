"""Who is an agent and who is an admin: Django groups, checked by every page and socket."""

from __future__ import annotations

from django.contrib.auth.models import Group

AGENT_GROUP = "agent"
ADMIN_GROUP = "admin"


def is_admin(user) -> bool:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name=ADMIN_GROUP).exists()


def is_agent(user) -> bool:
    """Agents and admins work the queue."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return user.is_superuser or user.groups.filter(name__in=(AGENT_GROUP, ADMIN_GROUP)).exists()


def ensure_groups() -> tuple[Group, Group]:
    """The two groups; admins hold every model permission, so Django admin shows them all."""
    from django.contrib.auth.models import Permission

    agent, _ = Group.objects.get_or_create(name=AGENT_GROUP)
    admin, _ = Group.objects.get_or_create(name=ADMIN_GROUP)
    admin.permissions.set(Permission.objects.all())
    return agent, admin
