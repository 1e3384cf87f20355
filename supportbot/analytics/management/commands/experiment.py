"""Start, stop and read experiments (docs/experiments.md):

    manage.py experiment start bigger-model --arm control=default:1 --arm moe=qwen-moe:1 \\
        --primary escalation_rate --guardrail csat_mean:0.2 --planned-visitors 8000
    manage.py experiment show bigger-model [--json]
    manage.py experiment stop bigger-model [--arm moe]

The first ``--arm`` is the control unless ``--control`` names another.
"""

from __future__ import annotations

import json
import re

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from supportbot.analytics.experiment_results import results
from supportbot.experiments.metrics import METRICS
from supportbot.experiments.models import Arm, Experiment, ModelVariant

ARM = re.compile(r"^(?P<name>[-\w]+)=(?P<variant>[-\w]+)(?::(?P<weight>\d+))?$")
GUARDRAIL = re.compile(r"^(?P<metric>\w+):(?P<margin>[0-9.]+)$")


def parse_arm(text: str) -> tuple[str, str, int]:
    match = ARM.match(text)
    if match is None or match["weight"] == "0":
        raise CommandError(f"--arm {text!r}: write NAME=VARIANT:WEIGHT (a positive integer)")
    return match["name"], match["variant"], int(match["weight"] or 1)


def parse_guardrail(text: str) -> dict:
    match = GUARDRAIL.match(text)
    if match is None:
        raise CommandError(f"--guardrail {text!r}: write METRIC:MARGIN, e.g. csat_mean:0.2")
    return {"metric": match["metric"], "margin": float(match["margin"])}


class Command(BaseCommand):
    help = "Start, stop or show an A/B experiment between model variants."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        start = actions.add_parser("start", help="create (or start a draft) and split traffic")
        start.add_argument("name")
        start.add_argument("--arm", action="append", default=[], metavar="NAME=VARIANT:WEIGHT")
        start.add_argument("--control", help="the control arm (default: the first --arm)")
        start.add_argument("--primary", choices=sorted(METRICS), help="the primary metric")
        start.add_argument("--guardrail", action="append", default=[], metavar="METRIC:MARGIN")
        start.add_argument("--alpha", type=float)
        horizon = start.add_mutually_exclusive_group()
        horizon.add_argument("--planned-visitors", type=int)
        horizon.add_argument("--sequential", action="store_true", default=None)
        start.add_argument("--salt", help="hash salt (default: random)")
        stop = actions.add_parser("stop", help="stop the experiment, or one arm of it")
        stop.add_argument("name")
        stop.add_argument("--arm", help="stop only this arm: its visitors get the control")
        show = actions.add_parser("show", help="the results")
        show.add_argument("name")
        show.add_argument("--json", action="store_true")

    def handle(self, *args, action: str, name: str, **options) -> None:
        if action == "start":
            experiment = self.start(name, options)
            self.stdout.write(f"{experiment.name} is running: {self.arms(experiment)}")
            return
        experiment = self.experiment(name)
        if action == "stop":
            self.stop(experiment, options["arm"])
        else:
            self.show(experiment, as_json=options["json"])

    @staticmethod
    def experiment(name: str) -> Experiment:
        try:
            return Experiment.objects.get(name=name)
        except Experiment.DoesNotExist:
            raise CommandError(f"no experiment named {name!r}") from None

    @staticmethod
    def arms(experiment: Experiment) -> str:
        return ", ".join(
            f"{arm.name}={arm.variant.name}:{arm.weight}" + (" (control)" if arm.is_control else "")
            + (" (stopped)" if arm.stopped else "")
            for arm in experiment.arms.select_related("variant")
        )  # fmt: skip

    @transaction.atomic
    def start(self, name: str, options: dict) -> Experiment:
        experiment = Experiment.objects.filter(name=name).first()
        if experiment is None:
            if not options["primary"] or len(options["arm"]) < 2:
                raise CommandError("a new experiment needs --primary and two --arm or more")
            experiment = Experiment(name=name)
        elif experiment.status != Experiment.Status.DRAFT:
            raise CommandError(f"{name} is {experiment.status}; start a new experiment instead")
        for option, field in (("primary", "primary_metric"), ("alpha", "alpha"),
                              ("planned_visitors", "planned_visitors"),
                              ("sequential", "sequential"), ("salt", "salt")):  # fmt: skip
            if options[option] is not None:
                setattr(experiment, field, options[option])
        if options["guardrail"]:
            experiment.guardrails = [parse_guardrail(g) for g in options["guardrail"]]
        try:
            experiment.full_clean(exclude=["status"])
            experiment.save()
            if options["arm"]:
                self.replace_arms(experiment, options["arm"], options["control"])
            experiment.start()
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from None
        return experiment

    @staticmethod
    def replace_arms(experiment: Experiment, specs: list[str], control: str | None) -> None:
        arms = [parse_arm(spec) for spec in specs]
        names = [arm_name for arm_name, _variant, _weight in arms]
        if len(set(names)) != len(names):
            raise CommandError("arm names must differ")
        control = control or names[0]
        if control not in names:
            raise CommandError(f"--control {control!r} is not one of the arms")
        variants = {v.name: v for v in ModelVariant.objects.filter(name__in=[a[1] for a in arms])}
        missing = sorted({variant for _n, variant, _w in arms} - set(variants))
        if missing:
            raise CommandError(
                f"no model variant {', '.join(missing)}; create it with manage.py set_variant"
            )
        experiment.arms.all().delete()
        Arm.objects.bulk_create(
            Arm(experiment=experiment, name=arm_name, variant=variants[variant], weight=weight,
                is_control=arm_name == control)
            for arm_name, variant, weight in arms
        )  # fmt: skip

    def stop(self, experiment: Experiment, arm_name: str | None) -> None:
        if arm_name is None:
            try:
                experiment.stop()
            except ValidationError as error:
                raise CommandError("; ".join(error.messages)) from None
            self.stdout.write(f"{experiment.name} stopped; new visitors get the default variant")
            return
        arm = experiment.arms.filter(name=arm_name).first()
        if arm is None:
            raise CommandError(f"{experiment.name} has no arm {arm_name!r}")
        if arm.is_control:
            raise CommandError("the control cannot stop; stop the experiment instead")
        arm.stopped = True
        arm.save(update_fields=["stopped"])
        self.stdout.write(f"{experiment.name}/{arm_name} stopped; its visitors get the control")

    def show(self, experiment: Experiment, *, as_json: bool) -> None:
        found = results(experiment)
        if as_json:
            self.stdout.write(json.dumps(found, indent=2))
            return
        verdict = found["verdict"]
        self.stdout.write(f"{experiment.name} ({experiment.status}): {self.arms(experiment)}")
        self.stdout.write(f"verdict: {verdict['status']}: {verdict['reason']}")
        srm = found.get("sample_ratio")
        if srm:
            flag = "MISMATCH" if srm["mismatch"] else "ok"
            self.stdout.write(f"sample ratio: {srm['observed']} visitors, p = "
                              f"{srm['p_value']:.3g} ({flag})")  # fmt: skip
        primary = found["experiment"]["primary_metric"]
        for arm in found["arms"]:
            shown = arm["metrics"].get(primary, {})
            value = shown.get("value", shown.get("geometric_mean"))
            line = f"  {arm['name']}: {arm['visitors']} visitors, {primary} = {value}"
            comparison = (arm["comparison"] or {}).get(primary)
            if comparison:
                line += (f", vs control {comparison['estimate']} {comparison['interval']}"
                         f" p(Holm) = {comparison['p_holm']}")  # fmt: skip
            self.stdout.write(line)
