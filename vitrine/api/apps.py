from django.apps import AppConfig

from vitrine.platform.beat import PeriodicTask


class ApiConfig(AppConfig):
    name = "vitrine.api"
    label = "api"
    verbose_name = "REST API"
    default_auto_field = "django.db.models.BigAutoField"
    periodic_tasks = (
        PeriodicTask("api-purge-idempotency-keys", "vitrine.api.tasks.purge_idempotency_keys", every=24 * 3600),
    )
