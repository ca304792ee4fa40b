from django.apps import AppConfig


class PlatformConfig(AppConfig):
    name = "vitrine.platform"
    label = "platform"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Each app registers its event handlers here, never through Django signals.
        from vitrine.platform import checks  # noqa: F401 - registers the deploy checks
        from vitrine.platform.events import autodiscover_handlers

        autodiscover_handlers(self.name)
