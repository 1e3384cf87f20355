"""What the demo wrote, in one line: counted from the analytics facts of the conversations it
created, so the line says what the dashboard will show, plus the few events only the
simulation saw (transfers, customers who left while waiting, idle closes)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db.models import Count, Q

from supportbot.analytics.models import ConversationFact, Segment


@dataclass(frozen=True, slots=True)
class SeedReport:
    conversations: int  # asked for
    days: int
    seeded: int  # conversations with a fact
    languages: int
    escalated: int
    human: int
    transfers: int
    left_waiting: int
    resolved: int
    idle_closed: int
    rated: int
    safety: int
    seconds: float

    @classmethod
    def count(cls, stats: Counter, *, first_pk: int, conversations: int, days: int,
              seconds: float) -> SeedReport:  # fmt: skip
        """The figures of the demo conversations created after conversation ``first_pk``."""
        facts = ConversationFact.objects.filter(
            conversation_id__gt=first_pk, conversation__visitor_id__startswith="demo-"
        ).aggregate(
            n=Count("pk"),
            languages=Count("language", distinct=True),
            escalated=Count("pk", filter=Q(escalations__gt=0)),
            human=Count("pk", filter=Q(segment=Segment.HUMAN)),
            resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
            rated=Count("pk", filter=Q(csat_rating__isnull=False)),
            safety=Count("pk", filter=Q(safety_blocks__gt=0) | Q(safety_escalations__gt=0)),
        )
        return cls(
            conversations=conversations,
            days=days,
            seeded=facts["n"],
            languages=facts["languages"],
            escalated=facts["escalated"],
            human=facts["human"],
            transfers=stats["transfers"],
            left_waiting=stats["left_waiting"],
            resolved=facts["resolved"],
            idle_closed=stats["idle_closed"],
            rated=facts["rated"],
            safety=facts["safety"],
            seconds=seconds,
        )

    def __str__(self) -> str:
        return (
            f"seeded {self.seeded} of {self.conversations} conversations over {self.days} days "
            f"in {self.languages} languages: {self.escalated} escalated, {self.human} handled "
            f"by agents ({self.transfers} transfers), {self.left_waiting} left while waiting, "
            f"{self.resolved} resolved ({self.idle_closed} idle closes), {self.rated} CSAT "
            f"responses, {self.safety} with safety decisions; {self.seconds:.1f} s"
        )
