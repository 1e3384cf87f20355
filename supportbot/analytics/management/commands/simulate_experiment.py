"""``manage.py simulate_experiment``: an experiment whose truths you set, played through the
product's services, for demos and tests (``supportbot.analytics.simulated_experiment``).

    manage.py simulate_experiment --name seed-replay --visitors 2000 \\
        --escalation 0.22 0.17 --handling 7 4 --csat 4.1 4.5

One value per arm for each truth, the control's first; DEBUG only unless --force. Each
conversation goes through the services (about 6 a second on SQLite: 2000 visitors take
some 5 minutes).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from supportbot.analytics.experiment_results import results
from supportbot.analytics.simulated_experiment import Plan, SimulationError, run
from supportbot.experiments.metrics import METRICS
from supportbot.experiments.models import ModelVariant
from supportbot.experiments.simulation import SEED_TRUTHS, Truth

CANDIDATE = "simulated-candidate"


class Command(BaseCommand):
    help = "Simulate an A/B experiment with known truths through the product's services."

    def add_arguments(self, parser: CommandParser) -> None:
        control, treatment = SEED_TRUTHS
        parser.add_argument("--name", default="simulated")
        parser.add_argument("--visitors", type=int, default=2000)
        parser.add_argument("--days", type=int, default=14)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--variants", nargs="+", metavar="VARIANT",
            help=f"one per arm, control first (default: the default variant and {CANDIDATE}, "
            "created from the default's model if missing)",
        )  # fmt: skip
        parser.add_argument("--weights", nargs="+", type=int, help="default: equal")
        for option, attribute, unit in (
            ("--escalation", "escalation", "rate"),
            ("--handling", "handling_median_s", "median seconds"),
            ("--csat", "csat_mean", "mean rating"),
            ("--csat-response", "csat_response", "rate"),
            ("--reply", "reply_median_s", "median seconds"),
        ):
            parser.add_argument(
                option, nargs="+", type=float, dest=attribute,
                default=[getattr(control, attribute), getattr(treatment, attribute)],
                help=f"{unit} per arm (default: %(default)s)",
            )  # fmt: skip
        parser.add_argument("--primary", choices=sorted(METRICS), default="escalation_rate")
        parser.add_argument("--planned-visitors", type=int, help="default: --visitors")
        parser.add_argument("--sequential", action="store_true")
        parser.add_argument("--keep-running", action="store_true", help="do not stop it after")
        parser.add_argument("--json", action="store_true", help="print the results as JSON")
        parser.add_argument("--force", action="store_true", help="even without DEBUG")

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("simulate_experiment writes fake visitors; pass --force "
                               "to write them with DEBUG off")  # fmt: skip
        plan = self.plan(options)
        step = max(1, plan.visitors // 10)

        def progress(done: int) -> None:
            # Not tqdm: the simulation moves the clock, and a rate from it would be nonsense.
            if not options["json"] and (done % step == 0 or done == plan.visitors):
                self.stderr.write(f"{done}/{plan.visitors} visitors")

        try:
            experiment = run(plan, progress=progress)
        except (SimulationError, ValidationError) as error:
            raise CommandError(str(error)) from None
        found = results(experiment)
        if options["json"]:
            self.stdout.write(json.dumps(found, indent=2))
            return
        verdict = found["verdict"]
        self.stdout.write(
            f"{experiment.name}: {found['visitors']} visitors, {found['conversations']} "
            f"conversations; verdict {verdict['status']}: {verdict['reason']}. "
            f"Results at /dashboard/experiments/{experiment.name}"
        )

    @staticmethod
    def plan(options: dict) -> Plan:
        variants = options["variants"] or [ModelVariant.get_default().name, candidate().name]
        arms = len(variants)
        weights = options["weights"] or [1] * arms
        fields = ("escalation", "handling_median_s", "csat_mean", "csat_response",
                  "reply_median_s")  # fmt: skip
        if arms < 2 or len(weights) != arms or any(len(options[f]) != arms for f in fields):
            raise CommandError(f"{arms} arms: give one value per arm for every truth and weight")
        if min(weights) < 1 or options["visitors"] < 1 or options["days"] < 1:
            raise CommandError("weights, --visitors and --days must be positive")
        try:
            truths = [Truth(*values) for values in zip(*(options[f] for f in fields), strict=True)]
            for truth in truths:
                check(truth)
        except ValueError as error:
            raise CommandError(str(error)) from None
        return Plan(
            name=options["name"], variants=variants, weights=weights, truths=truths,
            visitors=options["visitors"], days=options["days"], seed=options["seed"],
            primary_metric=options["primary"], planned_visitors=options["planned_visitors"],
            sequential=options["sequential"], keep_running=options["keep_running"],
        )  # fmt: skip


def check(truth: Truth) -> None:
    if not (0 < truth.escalation < 1 and 0 < truth.csat_response <= 1):
        raise ValueError("rates must lie between 0 and 1")
    if not 1 < truth.csat_mean < 5:
        raise ValueError("a CSAT mean must lie strictly between 1 and 5")
    if truth.handling_median_s <= 0 or truth.reply_median_s <= 0:
        raise ValueError("times must be positive")


def candidate() -> ModelVariant:
    default = ModelVariant.get_default()
    variant, _ = ModelVariant.objects.get_or_create(
        name=CANDIDATE, defaults={"model": default.model, "generation": default.generation}
    )
    return variant
