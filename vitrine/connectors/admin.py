"""Read-mostly admin pages for connector records. Tokens are never shown."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from vitrine.connectors.models import Credential, InboxMessage, OAuthState, PublishRecord
from vitrine.platform import selectors
from vitrine.platform.admin import ShopScopedAdmin


class ReadOnlyAdmin(ShopScopedAdmin):
    """Rows written by the connectors only; people look, never edit."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Credential)
class CredentialAdmin(ReadOnlyAdmin):
    list_display = ["shop", "scope", "access_expires_at", "refresh_expires_at", "revoked_at", "updated_at"]
    exclude = ["access_token", "refresh_token"]
    search_fields = ["shop__external_id"]


@admin.register(OAuthState)
class OAuthStateAdmin(ReadOnlyAdmin):
    """Install and authorisation flows under way (no shop owns them: operators only). Nonces are not shown."""

    list_display = ["provider", "shop_domain", "user", "created_at", "used_at"]
    list_filter = ["provider"]
    exclude = ["nonce"]
    date_hierarchy = "created_at"


@admin.register(InboxMessage)
class InboxMessageAdmin(ReadOnlyAdmin):
    list_display = ["topic", "shop_domain", "received_at", "processed_at", "outcome"]
    list_filter = ["provider", "topic"]
    search_fields = ["delivery_id", "event_id", "shop_domain"]
    date_hierarchy = "received_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[InboxMessage]:
        # Deliveries name their shop by domain (they may arrive for shops we no longer hold).
        queryset = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return queryset
        domains = selectors.shops_visible_to(request.user).values_list("external_id", flat=True)
        return queryset.filter(shop_domain__in=domains)


@admin.register(PublishRecord)
class PublishRecordAdmin(ReadOnlyAdmin):
    list_display = ["variant", "shop", "mode", "step", "remote_media_id", "attempts", "published_at",
                    "reverted_at"]
    list_filter = ["provider", "mode", "step"]
    search_fields = ["remote_media_id", "remote_product_id"]


# Store-specific pages live in each store's package; admin autodiscovery imports this module only.
from vitrine.connectors.taobao import admin as taobao_admin  # noqa: E402, F401
