"""Load (or refresh) the demo knowledge base and the few-shot examples."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from supportbot.knowledge.markdown_files import import_folder
from supportbot.knowledge.models import ExampleTurn, KnowledgeArticle

KNOWLEDGE = Path(__file__).resolve().parents[2]
DEMO_ARTICLES = KNOWLEDGE / "demo_kb"
DEMO_EXAMPLES = KNOWLEDGE / "demo_examples.json"


class Command(BaseCommand):
    help = (
        "Load the demo knowledge base (Markdown articles, through the kb_import importer) "
        "and the few-shot examples, idempotently."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--articles", type=Path, default=DEMO_ARTICLES, metavar="DIR")
        parser.add_argument("--examples", type=Path, default=DEMO_EXAMPLES, metavar="FILE")

    def handle(self, *args, articles: Path, examples: Path, **options) -> None:
        try:
            pairs_by_language = json.loads(examples.read_text(encoding="utf-8"))["examples"]
        except (OSError, ValueError, KeyError) as exc:
            raise CommandError(f"cannot read examples from {examples}: {exc}") from exc
        # Articles and examples together or not at all.
        with transaction.atomic():
            try:
                import_folder(articles)
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
            ExampleTurn.objects.all().delete()
            ExampleTurn.objects.bulk_create(
                ExampleTurn(language=language, position=i, customer=customer, bot=bot)
                for language, pairs in pairs_by_language.items()
                for i, (customer, bot) in enumerate(pairs)
            )
        self.stdout.write(
            f"knowledge base: {KnowledgeArticle.objects.count()} articles, "
            f"{ExampleTurn.objects.count()} example turns"
        )
