"""Taobao-only records (registered with the ``connectors`` app through ``vitrine.connectors.models``).

Authorisation states, credentials, TMC deliveries and published pictures use the store-agnostic ``OAuthState``,
``Credential``, ``InboxMessage`` and ``PublishRecord`` models.
"""

from __future__ import annotations

from django.db import models


class TaobaoCategory(models.Model):
    """A Taobao item category as ``taobao.itemcats.get`` delivers it (names in Chinese), cached: categories
    are the same for every seller and change rarely, so each is asked for once per ``TAOBAO_CATEGORY_TTL``."""

    cid = models.CharField(max_length=32, primary_key=True)
    parent_cid = models.CharField(max_length=32, blank=True, help_text="Empty or 0: a top-level category.")
    name = models.CharField(max_length=255)
    is_parent = models.BooleanField(default=False)
    fetched_at = models.DateTimeField()

    class Meta:
        app_label = "connectors"
        verbose_name_plural = "Taobao categories"

    def __str__(self) -> str:
        return f"{self.name} ({self.cid})"
