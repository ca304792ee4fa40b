"""Re-drive events the relay gave up on (or named ones): ``manage.py events_redrive [--id N ...]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from vitrine.platform.services import events_redrive


class Command(BaseCommand):
    help = "Dispatch again the events that exhausted EVENT_MAX_ATTEMPTS (or the undelivered events given by id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--id", type=int, action="append", dest="ids",
                            help="an undelivered event to re-drive (repeatable); default: every abandoned one")

    def handle(self, *args: Any, ids: list[int] | None = None, **options: Any) -> None:
        count = events_redrive(event_ids=ids)
        self.stdout.write(f"{count} event(s) re-driven")
