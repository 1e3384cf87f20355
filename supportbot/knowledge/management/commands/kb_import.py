"""Import knowledge articles from a folder of Markdown files (docs/knowledge-base.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from supportbot.knowledge.markdown_files import import_folder


class Command(BaseCommand):
    help = (
        "Create or update knowledge articles from DIR/<slug>.<language>.md files. "
        "Idempotent; never deletes an article."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path, metavar="DIR")

    def handle(self, *args, directory: Path, **options) -> None:
        try:
            report = import_folder(directory)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{report.total} files: {report.created} created, {report.updated} updated, "
            f"{report.unchanged} unchanged"
        )
