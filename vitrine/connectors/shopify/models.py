"""Shopify-only records (registered with the ``connectors`` app through ``vitrine.connectors.models``)."""

from __future__ import annotations

from django.db import models

from vitrine.platform.models import Shop


class CatalogSyncRun(models.Model):
    """One catalogue read (full or incremental; by paging or by bulk operation) and what it cost."""

    class Mode(models.TextChoices):
        PAGES = "pages", "Paginated products query"
        BULK = "bulk", "Bulk operation"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="shopify_sync_runs")
    full = models.BooleanField(help_text="Full reads also find products deleted without a webhook.")
    since = models.DateTimeField(null=True, blank=True, help_text="Incremental: products updated after this.")
    mode = models.CharField(max_length=8, choices=Mode.choices, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    bulk_operation_id = models.CharField(max_length=255, blank=True, db_index=True)
    bulk_status = models.CharField(max_length=32, blank=True, help_text="As Shopify last reported it.")
    products_seen = models.PositiveIntegerField(default=0)
    requests = models.PositiveIntegerField(default=0)
    cost_points = models.FloatField(default=0)
    throttled_seconds = models.FloatField(default=0, help_text="Time spent waiting for API cost points.")
    error = models.TextField(blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "connectors"
        indexes = [models.Index(fields=["shop", "status", "started_at"])]

    def __str__(self) -> str:
        return f"sync of {self.shop} ({self.mode or 'pending'}, {self.status})"
