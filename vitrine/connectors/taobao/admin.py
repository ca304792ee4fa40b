"""Read-only admin pages for Taobao sync runs and cached categories (credentials, inbox and ledger have shared
pages)."""

from __future__ import annotations

from django.contrib import admin

from vitrine.connectors.admin import ReadOnlyAdmin
from vitrine.connectors.taobao.models import TaobaoCategory, TaobaoSyncRun


@admin.register(TaobaoSyncRun)
class TaobaoSyncRunAdmin(ReadOnlyAdmin):
    list_display = ["shop", "full", "status", "modified_from", "modified_to", "windows", "splits",
                    "items_listed", "items_synced", "items_failed", "requests", "started_at", "finished_at"]
    list_filter = ["status", "full"]


@admin.register(TaobaoCategory)
class TaobaoCategoryAdmin(ReadOnlyAdmin):
    list_display = ["cid", "name", "parent_cid", "is_parent", "fetched_at"]
    search_fields = ["cid", "name"]
