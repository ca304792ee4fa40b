"""Read-only admin pages for Taobao sync runs (credentials, inbox and ledger have shared pages)."""

from __future__ import annotations

from django.contrib import admin

from vitrine.connectors.admin import ReadOnlyAdmin
from vitrine.connectors.taobao.models import TaobaoSyncRun


@admin.register(TaobaoSyncRun)
class TaobaoSyncRunAdmin(ReadOnlyAdmin):
    list_display = ["shop", "full", "status", "modified_from", "modified_to", "windows", "splits",
                    "items_listed", "items_synced", "items_failed", "requests", "started_at", "finished_at"]
    list_filter = ["status", "full"]
