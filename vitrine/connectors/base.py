"""The store-agnostic connector protocol every store (Shopify, Taobao, CSV/folder) implements.

It is defined in the kernel (:mod:`vitrine.platform.stores`), which must not import the stores; the names are
re-exported here for the stores' own code.
"""

from __future__ import annotations

from vitrine.platform.stores import (
    Connector,
    OutputFit,
    ProductSkipped,
    PublishResult,
    RemoteImage,
    RemoteProduct,
    connector_for,
    output_fit,
)

__all__ = [
    "Connector",
    "OutputFit",
    "ProductSkipped",
    "PublishResult",
    "RemoteImage",
    "RemoteProduct",
    "connector_for",
    "output_fit",
]
