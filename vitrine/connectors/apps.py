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
        # The stores register with the kernel here, explicitly: the kernel never imports them, and no import
        # side effect decides which stores exist.
        from vitrine.connectors.csvfile.connector import CsvFileConnector
        from vitrine.connectors.shopify import publishing as shopify_publishing
        from vitrine.connectors.shopify.connector import ShopifyConnector
        from vitrine.connectors.taobao import publishing as taobao_publishing
        from vitrine.connectors.taobao.connector import TaobaoConnector
        from vitrine.platform.events import autodiscover_handlers
        from vitrine.platform.stores import register_output_fit, register_provider

        for connector in (CsvFileConnector, ShopifyConnector, TaobaoConnector):
            register_provider(connector)
        register_output_fit(ShopifyConnector.provider)(shopify_publishing.output_fit)
        register_output_fit(TaobaoConnector.provider)(taobao_publishing.output_fit)
        # Each app registers its event handlers here, never through Django signals; each store keeps its own.
        for package in (self.name, f"{self.name}.shopify", f"{self.name}.taobao"):
            autodiscover_handlers(package)
