"""A fake Shopify for tests and benchmarks: a real HTTP server on loopback (see ``server.py``)."""

from tests.fakes.shopify.server import FakeShopify, Fault, SignedWebhook

__all__ = ["FakeShopify", "Fault", "SignedWebhook"]
