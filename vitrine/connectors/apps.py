from django.apps import AppConfig

from vitrine.platform.beat import PeriodicTask


class ConnectorsConfig(AppConfig):
    name = "vitrine.connectors"
    label = "connectors"
    default_auto_field = "django.db.models.BigAutoField"
    periodic_tasks = (
        PeriodicTask("sweep-oauth-states", "vitrine.connectors.tasks.sweep_oauth_states", every=3600),
        PeriodicTask("shopify-reconcile", "vitrine.connectors.shopify.tasks.reconcile_shops",
                     every="SHOPIFY_RECONCILE_INTERVAL"),
        PeriodicTask("taobao-tmc-poll", "vitrine.connectors.taobao.tasks.poll_tmc", every="TAOBAO_TMC_POLL_INTERVAL"),
        PeriodicTask("taobao-sync", "vitrine.connectors.taobao.tasks.sync_shops", every="TAOBAO_SYNC_INTERVAL"),
    )

    def ready(self) -> None:
        # Each app registers its event handlers here, never through Django signals.
        from vitrine.platform.events import autodiscover_handlers

        autodiscover_handlers(self.name)
