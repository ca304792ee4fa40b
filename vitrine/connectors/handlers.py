"""Connector event handlers; each store's package registers its own (imported here at app start)."""

from vitrine.connectors.csvfile import handlers as csvfile_handlers  # noqa: F401 (registers provider and handlers)
from vitrine.connectors.shopify import connector as shopify_connector  # noqa: F401 (registers the provider)
from vitrine.connectors.shopify import handlers as shopify_handlers  # noqa: F401 (registers the handlers)
from vitrine.connectors.taobao import handlers as taobao_handlers  # noqa: F401 (registers the handlers)
