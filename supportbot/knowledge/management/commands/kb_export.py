"""Export every knowledge article to a folder of Markdown files (docs/knowledge-base.md)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from supportbot.knowledge.markdown_files import export_folder


class Command(BaseCommand):
    help = (
        "Write every knowledge article, published or not, to DIR/<slug>.<language>.md "
        "(kb_import reads them back unchanged)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("directory", type=Path, metavar="DIR")

    def handle(self, *args, directory: Path, **options) -> None:
        try:
            count = export_folder(directory)
        except (ValueError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{count} articles written to {directory}")
