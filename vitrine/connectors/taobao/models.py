"""Taobao-only records (registered with the ``connectors`` app through ``vitrine.connectors.models``).

Authorisation states, credentials, TMC deliveries and published pictures use the store-agnostic ``OAuthState``,
``Credential``, ``InboxMessage`` and ``PublishRecord`` models.
"""

from __future__ import annotations

from django.db import models

from vitrine.platform.models import Shop


class TaobaoSyncRun(models.Model):
    """One catalogue read by modified-time windows (full or incremental) and what it cost."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="taobao_sync_runs")
    full = models.BooleanField()
    modified_from = models.DateTimeField(help_text="Items modified at or after this were read.")
    modified_to = models.DateTimeField(help_text="...and up to this; the next incremental run starts here.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    windows = models.PositiveIntegerField(default=0, help_text="Modified-time windows paged through.")
    splits = models.PositiveIntegerField(default=0,
                                         help_text="Windows split because they held too many items.")
    items_listed = models.PositiveIntegerField(default=0)
    items_synced = models.PositiveIntegerField(default=0)
    items_failed = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "connectors"
        indexes = [models.Index(fields=["shop", "status", "started_at"])]

    def __str__(self) -> str:
        return f"Taobao sync of {self.shop} ({'full' if self.full else 'incremental'}, {self.status})"


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
