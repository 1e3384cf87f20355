from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from supportbot.experiments.models import Arm, Experiment, ModelVariant


@admin.register(ModelVariant)
class ModelVariantAdmin(admin.ModelAdmin):
    list_display = ("name", "model", "quantization", "is_moe", "is_default")


class ArmInline(admin.TabularInline):
    model = Arm
    extra = 2

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status != Experiment.Status.DRAFT:
            # New weights would break the split check; stopping an arm is the way out.
            return ("name", "variant", "weight", "is_control")
        return ()

    def has_add_permission(self, request, obj=None) -> bool:
        return obj is None or obj.status == Experiment.Status.DRAFT

    def has_delete_permission(self, request, obj=None) -> bool:
        return obj is None or obj.status == Experiment.Status.DRAFT


@admin.register(Experiment)
class ExperimentAdmin(admin.ModelAdmin):
    list_display = ("name", "status", "primary_metric", "started_at", "stopped_at")
    list_filter = ("status",)
    inlines = [ArmInline]
    # Status moves only through the actions, which check the design (Experiment.start).
    readonly_fields = ("status", "started_at", "stopped_at")
    actions = ["start", "stop"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status != Experiment.Status.DRAFT:
            # What was declared before the start stays as declared.
            fields += ["salt", "primary_metric", "guardrails", "alpha", "planned_visitors",
                       "sequential"]  # fmt: skip
        return fields

    def _each(self, request, queryset, verb: str) -> None:
        for experiment in queryset:
            try:
                getattr(experiment, verb)()
            except ValidationError as error:
                self.message_user(request, "; ".join(error.messages), messages.ERROR)
            else:
                self.message_user(request, f"{experiment.name}: {experiment.status}")

    @admin.action(description="Start the selected drafts")
    def start(self, request, queryset) -> None:
        self._each(request, queryset, "start")

    @admin.action(description="Stop the selected running experiments")
    def stop(self, request, queryset) -> None:
        self._each(request, queryset, "stop")
