from django.apps import AppConfig


class TemplatesConfig(AppConfig):
    name = "vitrine.templates"
    label = "templates"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app registers its event handlers here, never through Django signals.
        from celery.schedules import crontab

        from vitrine.platform.celery import app
        from vitrine.platform.events import autodiscover_handlers

        autodiscover_handlers(self.name)
        # Just after midnight a new day's cap opens: plan what the daily caps held back.
        app.conf.beat_schedule = {
            **app.conf.beat_schedule,
            "plan-deferred-variants": {
                "task": "vitrine.templates.tasks.plan_deferred_variants",
                "schedule": crontab(hour=0, minute=5),
            },
        }
