"""Fetch or convert the configured model ahead of serving, with progress on the console."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand

from inference_worker.loader import resolve_model_path


class Command(BaseCommand):
    help = "Make the configured model ready to load (converts the bundled Gemma once)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--model", default=None, help="defaults to SUPPORTBOT_MODEL")

    def handle(self, *args, model: str | None, **options) -> None:
        spec = model or settings.SUPPORTBOT["MODEL"]
        path = resolve_model_path(spec)
        self.stdout.write(f"model {spec!r} ready at {path}")
