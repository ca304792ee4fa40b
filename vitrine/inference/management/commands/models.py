"""``python manage.py models``: every model registry entry with its task, licence and commercial use.

Reads the built-in entries plus ``INFERENCE_MODEL_REGISTRY_FILE``; says which ones the licence gate refuses
under the current ``INFERENCE_ALLOW_NONCOMMERCIAL_MODELS``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "List the model registry: id, task, licence, commercial use and whether the licence gate allows it."
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def handle(self, *args: Any, **options: Any) -> None:
        from vitrine.inference.errors import InferenceError
        from vitrine.inference.registry import ModelRegistry

        path = getattr(settings, "INFERENCE_MODEL_REGISTRY_FILE", "")
        try:
            registry = ModelRegistry.from_file(path) if path else ModelRegistry()
        except InferenceError as exc:
            raise CommandError(exc.merchant_message) from exc
        allow = bool(getattr(settings, "INFERENCE_ALLOW_NONCOMMERCIAL_MODELS", False))
        for spec in registry:
            gate = "allowed" if spec.commercial_use or allow else "refused (non-commercial)"
            self.stdout.write(
                f"{spec.id}\t{spec.task}\t{spec.pipeline_class}\t{spec.licence}\t"
                f"commercial={'yes' if spec.commercial_use else 'no'}\t{gate}"
            )
