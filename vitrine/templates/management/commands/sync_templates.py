"""``manage.py sync_templates``: bring the built-in template catalogue up to date."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from vitrine.templates.services import catalogue_sync


class Command(BaseCommand):
    help = (
        "Load the built-in template catalogue, or update it after an upgrade: a changed template that has "
        "produced variants gets a new version, the version those variants used stays as it was."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = catalogue_sync()
        self.stdout.write(
            f"{len(result.created)} added, {len(result.revised)} revised, {result.unchanged} unchanged."
        )
        for slug in result.revised:
            self.stdout.write(f"  revised: {slug}")
