from celery.schedules import crontab
from django.apps import AppConfig

from vitrine.platform.beat import PeriodicTask


class TemplatesConfig(AppConfig):
    name = "vitrine.templates"
    label = "templates"
    default_auto_field = "django.db.models.BigAutoField"
    # Just after midnight a new day's cap opens: plan what the daily caps held back.
    periodic_tasks = (
        PeriodicTask("plan-deferred-variants", "vitrine.templates.tasks.plan_deferred_variants",
                     every=crontab(hour=0, minute=5)),
    )

    def ready(self) -> None:
        # Each app registers its event handlers here, never through Django signals.
        from vitrine.platform.events import autodiscover_handlers

        autodiscover_handlers(self.name)
