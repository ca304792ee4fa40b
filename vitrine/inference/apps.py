from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "vitrine.inference"
    label = "inference"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app registers its event handlers here, never through Django signals.
        from vitrine.platform.events import autodiscover_handlers

        autodiscover_handlers(self.name)
