from django.apps import AppConfig


class ConsoleConfig(AppConfig):
    """The merchant app: the Shopify embedded app and the console at /app/ for Taobao and CSV shops."""

    name = "vitrine.console"
    label = "console"
    verbose_name = "Merchant app"
