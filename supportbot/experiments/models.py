"""Model variants, and the experiments that split conversations between them."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.utils import timezone

from supportbot.experiments.metrics import METRICS, UnknownMetric, validate_guardrails


def new_salt() -> str:
    return secrets.token_hex(8)


class ModelVariant(models.Model):
    class Quantization(models.TextChoices):
        NONE = "none", "none"
        INT8 = "int8", "8-bit"
        NF4 = "nf4", "4-bit NF4"

    name = models.SlugField(max_length=64, unique=True)
    model = models.CharField(max_length=255, help_text="Hub id, local folder or bundled alias")
    quantization = models.CharField(
        max_length=8, choices=Quantization.choices, default=Quantization.NONE
    )
    is_moe = models.BooleanField(default=False)
    context_length = models.PositiveIntegerField(default=2048)
    # The variant owns every generation setting: max_new_tokens and the sampling parameters
    # (temperature, top_k, top_p, repetition_penalty); absent ones take the deployment's.
    generation = models.JSONField(default=dict, blank=True)
    is_default = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="one_default_variant",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def get_default(cls) -> ModelVariant:
        """The variant new conversations get until experiments assign arms."""
        variant = cls.objects.filter(is_default=True).first()
        if variant is not None:
            return variant
        variant, _ = cls.objects.get_or_create(
            name="default",
            defaults={"model": settings.SUPPORTBOT["MODEL"], "is_default": True},
        )
        return variant


class Experiment(models.Model):
    """A split of new conversations between model variants (docs/experiments.md)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "draft"
        RUNNING = "running", "running"
        STOPPED = "stopped", "stopped"

    name = models.SlugField(max_length=64, unique=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    # Hashed with each visitor id; a new salt reshuffles who lands where.
    salt = models.CharField(max_length=64, default=new_salt)
    # Declared before the start, so the result cannot pick its metric afterwards.
    primary_metric = models.CharField(
        max_length=64, choices=[(name, m.label) for name, m in METRICS.items()]
    )
    guardrails = models.JSONField(default=list, blank=True)  # [{"metric", "margin"}]
    alpha = models.FloatField(default=0.05)
    planned_visitors = models.PositiveIntegerField(null=True, blank=True)
    sequential = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            # One split at a time: a visitor's variant must have one answer.
            models.UniqueConstraint(
                fields=["status"],
                condition=models.Q(status="running"),
                name="one_running_experiment",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.guardrails = validate_guardrails(self.guardrails)
        except (ValueError, UnknownMetric) as error:
            raise ValidationError({"guardrails": str(error)}) from error
        if not 0 < self.alpha < 0.5:
            raise ValidationError({"alpha": "alpha must lie between 0 and 0.5"})
        if self.status != self.Status.DRAFT and not (self.sequential or self.planned_visitors):
            raise ValidationError(
                "declare a planned number of visitors (fixed horizon) or run sequentially"
            )

    @transaction.atomic
    def start(self) -> None:
        """Draft to running: from now on new visitors are split between the arms. Raises
        ValidationError when the design is incomplete or another experiment runs."""
        locked = Experiment.objects.select_for_update().get(pk=self.pk)
        if locked.status != self.Status.DRAFT:
            raise ValidationError(f"{self.name} is {locked.status}; only a draft can start")
        arms = list(self.arms.all())
        if len(arms) < 2:
            raise ValidationError(f"{self.name} needs two arms or more")
        if sum(arm.is_control for arm in arms) != 1:
            raise ValidationError(f"{self.name} needs exactly one control arm")
        running = Experiment.objects.filter(status=self.Status.RUNNING).first()
        if running is not None:
            raise ValidationError(f"{running.name} is running; stop it first")
        self.status, self.started_at = self.Status.RUNNING, timezone.now()
        self.full_clean()
        self.save()

    @transaction.atomic
    def stop(self) -> None:
        """Running to stopped: new visitors get the default variant again; the results
        stay."""
        locked = Experiment.objects.select_for_update().get(pk=self.pk)
        if locked.status != self.Status.RUNNING:
            raise ValidationError(f"{self.name} is {locked.status}, not running")
        self.status, self.stopped_at = self.Status.STOPPED, timezone.now()
        self.save(update_fields=["status", "stopped_at"])


class Arm(models.Model):
    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="arms")
    name = models.SlugField(max_length=64)
    variant = models.ForeignKey(ModelVariant, on_delete=models.PROTECT, related_name="arms")
    weight = models.PositiveIntegerField(default=1)
    is_control = models.BooleanField(default=False)
    # A stopped arm takes no new visitors; its visitors get the control and leave the analysis.
    stopped = models.BooleanField(default=False)

    class Meta:
        ordering = ["experiment", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["experiment", "name"], name="arm_name_per_experiment"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="arm_weight_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.experiment.name}/{self.name}"


class Assignment(models.Model):
    """The arm a visitor was put in, once: it wins over any later change of weights."""

    experiment = models.ForeignKey(Experiment, on_delete=models.CASCADE, related_name="assignments")
    visitor_id = models.CharField(max_length=64)
    arm = models.ForeignKey(Arm, on_delete=models.CASCADE, related_name="assignments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["experiment", "visitor_id"], name="one_assignment_per_visitor"
            )
        ]

    def __str__(self) -> str:
        return f"{self.visitor_id} -> {self.arm_id}"
