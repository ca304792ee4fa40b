"""Read-only admin page for cached Taobao categories (credentials, inbox, ledger and sync runs have shared
pages)."""

from __future__ import annotations

from django.contrib import admin

from vitrine.connectors.admin import ReadOnlyAdmin
from vitrine.connectors.taobao.models import TaobaoCategory


@admin.register(TaobaoCategory)
class TaobaoCategoryAdmin(ReadOnlyAdmin):
    list_display = ["cid", "name", "parent_cid", "is_parent", "fetched_at"]
    search_fields = ["cid", "name"]
