from django.contrib import admin

from supportbot.experiments.models import ModelVariant


@admin.register(ModelVariant)
class ModelVariantAdmin(admin.ModelAdmin):
    list_display = ("name", "model", "quantization", "is_moe", "is_default")
