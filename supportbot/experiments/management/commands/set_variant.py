"""Create or change a model variant: which model a Celery queue's workers serve, and how.

    manage.py set_variant qwen3-30b --model Qwen/Qwen3-30B-A3B-Instruct-2507 \\
        --quantization nf4 --moe --context-length 8192 --temperature 0.7 --top-p 0.8

Workers for it listen on ``variant.<name>``; restart them after changing the model.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from inference_worker.config import SamplingDefaults
from supportbot.experiments.models import ModelVariant

SAMPLING_OPTIONS = ("temperature", "top_k", "top_p", "repetition_penalty")


class Command(BaseCommand):
    help = "Create or update a model variant (the model, quantization and MoE flag of a queue)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="slug; workers serve it with -Q variant.<name>")
        parser.add_argument("--model", help="hub id, local folder, 'gemma' or 'tiny-moe'")
        parser.add_argument("--quantization", choices=ModelVariant.Quantization.values)
        moe = parser.add_mutually_exclusive_group()
        moe.add_argument("--moe", dest="is_moe", action="store_true", default=None)
        moe.add_argument("--dense", dest="is_moe", action="store_false")
        parser.add_argument("--context-length", type=int)
        parser.add_argument(
            "--max-new-tokens", type=int, help="bound on one reply's length (default: settings)"
        )
        parser.add_argument("--temperature", type=float)
        parser.add_argument("--top-k", type=int)
        parser.add_argument("--top-p", type=float)
        parser.add_argument("--repetition-penalty", type=float)
        parser.add_argument(
            "--default", action="store_true", help="new conversations get this variant"
        )

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        name = options["name"]
        variant = ModelVariant.objects.select_for_update().filter(name=name).first()
        if variant is None:
            if not options["model"]:
                raise CommandError(f"variant {name!r} does not exist yet: give --model")
            variant = ModelVariant(name=name)
        for field in ("model", "quantization", "is_moe", "context_length"):
            if options[field] is not None:
                setattr(variant, field, options[field])
        if variant.context_length < 2:
            raise CommandError("--context-length must be at least 2")
        generation = dict(variant.generation or {})
        generation.update({k: options[k] for k in SAMPLING_OPTIONS if options[k] is not None})
        if options["max_new_tokens"] is not None:
            if not 1 <= options["max_new_tokens"] < variant.context_length:
                raise CommandError("--max-new-tokens must be between 1 and the context length")
            generation["max_new_tokens"] = options["max_new_tokens"]
        try:
            SamplingDefaults(**{k: generation[k] for k in SAMPLING_OPTIONS if k in generation})
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        variant.generation = generation
        if options["default"]:
            ModelVariant.objects.exclude(name=name).update(is_default=False)
            variant.is_default = True
        variant.full_clean()
        variant.save()
        self.stdout.write(
            f"{variant.name}: {variant.model} ({variant.quantization}, "
            f"{'MoE' if variant.is_moe else 'dense'}, context {variant.context_length}) "
            f"served on queue variant.{variant.name}{' [default]' if variant.is_default else ''}"
        )
