from celery.schedules import crontab
from django.apps import AppConfig

from vitrine.platform.beat import PeriodicTask


class PlatformConfig(AppConfig):
    name = "vitrine.platform"
    label = "platform"
    default_auto_field = "django.db.models.BigAutoField"
    periodic_tasks = (
        PeriodicTask("relay-undelivered-events", "vitrine.platform.tasks.relay_undelivered_events",
                     every="EVENT_RELAY_INTERVAL"),
        PeriodicTask("redrive-stuck-variants", "vitrine.platform.tasks.redrive_stuck_variants",
                     every="VARIANT_SWEEP_INTERVAL"),
        PeriodicTask("purge-sent-outbox-tasks", "vitrine.platform.tasks.purge_sent_outbox_tasks",
                     every=crontab(hour=3, minute=20)),
    )

    def ready(self) -> None:
        # Each app registers its event handlers here, never through Django signals.
        from vitrine.platform import checks  # noqa: F401 - registers the deploy checks
        from vitrine.platform.beat import beat_schedule
        from vitrine.platform.celery import app
        from vitrine.platform.events import autodiscover_handlers

        autodiscover_handlers(self.name)
        # Every app config is loaded before any ready() runs, so every app's periodic tasks are seen here.
        app.conf.beat_schedule = beat_schedule()
