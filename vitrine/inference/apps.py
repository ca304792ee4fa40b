from django.apps import AppConfig

from vitrine.platform.beat import PeriodicTask


class InferenceConfig(AppConfig):
    name = "vitrine.inference"
    label = "inference"
    default_auto_field = "django.db.models.BigAutoField"
    # Variants waiting for a model resume once it is configured (also at every worker start).
    periodic_tasks = (
        PeriodicTask("resume-waiting-variants", "vitrine.inference.tasks.resume_waiting_variants",
                     every="RESUME_WAITING_INTERVAL"),
    )

    def ready(self) -> None:
        # Each app registers its event handlers here, never through Django signals.
        from vitrine.platform.events import autodiscover_handlers

        autodiscover_handlers(self.name)
