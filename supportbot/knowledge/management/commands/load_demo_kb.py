"""Load (or refresh) the demo knowledge base and the few-shot examples."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from supportbot.knowledge.models import ExampleTurn, KnowledgeArticle

DEMO_KB = Path(__file__).resolve().parents[2] / "demo_kb.json"


class Command(BaseCommand):
    help = "Load the demo knowledge base (shipping, returns, refunds, accounts) idempotently."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--file", type=Path, default=DEMO_KB)

    def handle(self, *args, file: Path, **options) -> None:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {file}: {exc}") from exc
        with transaction.atomic():
            for entry in data["articles"]:
                KnowledgeArticle.objects.update_or_create(
                    slug=entry["slug"],
                    language=entry["language"],
                    defaults={
                        "topic": entry["topic"],
                        "title": entry["title"],
                        "body": entry["body"],
                        "keywords": entry.get("keywords", []),
                    },
                )
            ExampleTurn.objects.all().delete()
            ExampleTurn.objects.bulk_create(
                ExampleTurn(language=language, position=i, customer=customer, bot=bot)
                for language, pairs in data["examples"].items()
                for i, (customer, bot) in enumerate(pairs)
            )
        self.stdout.write(
            f"knowledge base: {KnowledgeArticle.objects.count()} articles, "
            f"{ExampleTurn.objects.count()} example turns"
        )
