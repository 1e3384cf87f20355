from django.contrib import admin

from supportbot.experiments.models import Arm, Experiment, ModelVariant


@admin.register(ModelVariant)
class ModelVariantAdmin(admin.ModelAdmin):
    list_display = ("name", "model", "quantization", "is_moe", "is_default")


class ArmInline(admin.TabularInline):
    model = Arm
    extra = 2


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "primary_metric", "started_at", "stopped_at")
    list_filter = ("status",)
    inlines = [ArmInline]
