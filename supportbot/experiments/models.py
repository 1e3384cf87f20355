"""Model variants: which model answers a conversation, and how."""

from __future__ import annotations

from django.conf import settings
from django.db import models


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
