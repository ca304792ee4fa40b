"""Shopify-only records (registered with the ``connectors`` app through ``vitrine.connectors.models``)."""

from __future__ import annotations

from django.db import models


class OAuthState(models.Model):
    """The ``state`` nonce of one OAuth code-grant install; it is good for one callback only."""

    nonce = models.CharField(max_length=64, unique=True)
    shop_domain = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "connectors"

    def __str__(self) -> str:
        return f"OAuth state for {self.shop_domain}"
