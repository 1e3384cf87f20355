"""The demo's support team: a few agents with no usable password, on shift during the
working hours. Their consoles are not simulated; their presence rows are, since that is how
the services tell whether anybody is there to take a hand-over."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from supportbot.agents.models import AgentPresence
from supportbot.agents.roles import ensure_groups

PRESENCE_PREFIX = "demo-console-"
AGENT_LANGUAGES = frozenset({"en", "de"})  # the team reads the rest machine-translated
AGENT_NAMES = ("Anna", "Ben", "Chloé", "Daniel", "Emma", "Farid", "Greta", "Hiro", "Inés", "Jonas")
# The team's hours, local: long weekdays, shorter weekends, nobody at night.
SHIFTS = {0: (8, 21), 1: (8, 21), 2: (8, 21), 3: (8, 21), 4: (8, 21), 5: (9, 18), 6: (10, 16)}


class Team:
    """The demo agents and their working hours in the dashboard's zone."""

    def __init__(self, members: list[AbstractBaseUser], zone: ZoneInfo) -> None:
        self.members = members
        self.zone = zone

    @classmethod
    def enlist(cls, count: int, zone: ZoneInfo) -> Team:
        """The first ``count`` demo agents (``demo-agent-N``), created unless they exist, each
        with a console's presence row."""
        agent_group, _admin_group = ensure_groups()
        members = []
        for i, name in enumerate(AGENT_NAMES[:count]):
            user, created = get_user_model().objects.get_or_create(
                username=f"demo-agent-{i + 1}",
                defaults={"first_name": name, "last_name": "(demo)"},
            )
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            user.groups.add(agent_group)
            AgentPresence.objects.update_or_create(
                channel_name=f"{PRESENCE_PREFIX}{user.pk}", defaults={"user": user}
            )
            members.append(user)
        return cls(members, zone)

    @staticmethod
    def go_home() -> None:
        """Remove the demo consoles' presence rows, so nobody seems online after the demo."""
        AgentPresence.objects.filter(channel_name__startswith=PRESENCE_PREFIX).delete()

    def on_shift(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        hours = SHIFTS.get(local.weekday())
        return hours is not None and hours[0] <= local.hour < hours[1]

    def next_shift(self, moment: datetime) -> datetime:
        """When the next shift after ``moment`` begins."""
        local = moment.astimezone(self.zone)
        for days in range(8):
            day = (local + timedelta(days=days)).date()
            hours = SHIFTS.get(day.weekday())
            if hours is None:
                continue
            begins = datetime(day.year, day.month, day.day, hours[0], tzinfo=self.zone)
            if begins > local:
                return begins
        raise AssertionError("SHIFTS has no working day")

    def heartbeat(self) -> None:
        """The consoles' heartbeat at the clock's moment: on shift, the presence rows are
        fresh; off shift, stale. Called before anything that may bring in a person."""
        now = timezone.now()
        seen = now if self.on_shift(now) else now - timedelta(days=1)
        AgentPresence.objects.filter(channel_name__startswith=PRESENCE_PREFIX).update(
            last_seen=seen
        )

    def pick(self, r: random.Random) -> AbstractBaseUser:
        """An agent for a hand-over: some take more chats than others."""
        return r.choices(self.members, weights=[1 / (i + 1) for i in range(len(self.members))])[0]
