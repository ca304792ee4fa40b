"""Admin pages for shops, markets, products, images, variants and the event outbox."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from vitrine.platform import selectors
from vitrine.platform.models import (
    Event,
    Market,
    OutboxTask,
    Product,
    Shop,
    ShopMembership,
    SourceImage,
    Variant,
    VariantTransition,
)
from vitrine.platform.services import events_redrive

admin.site.site_header = "Vitrine"
admin.site.site_title = "Vitrine"
admin.site.index_title = "Store app administration"


def _thumb(blob_id: str | None, height: int = 64) -> str:
    if not blob_id:
        return "-"
    return format_html('<img src="{}" height="{}" loading="lazy">', reverse("blob", args=[blob_id]), height)


class ShopScopedAdmin(admin.ModelAdmin):
    """Non-superusers only see rows of the shops they are members of."""

    shop_lookup = "shop"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.shop_lookup}__in": selectors.shops_visible_to(request.user)})


class MarketInline(admin.TabularInline):
    model = Market
    extra = 0


class MembershipInline(admin.TabularInline):
    model = ShopMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Shop)
class ShopAdmin(ShopScopedAdmin):
    shop_lookup = "pk"
    list_display = ["__str__", "provider", "external_id", "installed_at", "uninstalled_at", "auto_generate"]
    list_filter = ["provider", "auto_generate"]
    search_fields = ["name", "external_id"]
    inlines = [MarketInline, MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = admin.ModelAdmin.get_queryset(self, request)
        return queryset if request.user.is_superuser else queryset & selectors.shops_visible_to(request.user)


class SourceImageInline(admin.TabularInline):
    model = SourceImage
    extra = 0
    fields = ["preview", "remote_id", "position", "alt", "width", "height", "published_by_us", "removed_at"]
    readonly_fields = fields
    can_delete = False

    @admin.display(description="Image")
    def preview(self, obj: SourceImage) -> str:
        return _thumb(obj.image_id)


@admin.register(Product)
class ProductAdmin(ShopScopedAdmin):
    list_display = ["title", "shop", "product_type", "vendor", "synced_at", "deleted_at"]
    list_filter = ["shop", "product_type"]
    search_fields = ["title", "external_id", "handle"]
    inlines = [SourceImageInline]


@admin.register(SourceImage)
class SourceImageAdmin(ShopScopedAdmin):
    shop_lookup = "product__shop"
    list_display = ["preview", "product", "position", "width", "height", "published_by_us"]
    list_filter = ["published_by_us", "has_alpha"]
    raw_id_fields = ["product", "original", "image", "protect_mask"]

    @admin.display(description="Image")
    def preview(self, obj: SourceImage) -> str:
        return _thumb(obj.image_id)


class TransitionInline(admin.TabularInline):
    model = VariantTransition
    extra = 0
    readonly_fields = ["from_state", "to_state", "actor", "reason", "created_at"]
    can_delete = False


@admin.register(Variant)
class VariantAdmin(ShopScopedAdmin):
    list_display = ["id", "preview", "shop", "kind", "market", "template_slug", "state", "fidelity_verdict",
                    "fidelity_score"]
    list_filter = ["state", "kind", "shop", "fidelity_verdict"]
    search_fields = ["template_slug", "source_image__product__title"]
    readonly_fields = ["state", "failure_reason", "created_at", "updated_at"]
    raw_id_fields = ["source_image", "output", "used_mask", "supersedes", "market"]
    inlines = [TransitionInline]

    @admin.display(description="Output")
    def preview(self, obj: Variant) -> str:
        return _thumb(obj.output_id)


class DeliveryFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("dead", "Abandoned (attempts exhausted)"), ("pending", "Undelivered, still retried"),
                ("delivered", "Delivered")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        exhausted = Q(attempts__gte=settings.EVENT_MAX_ATTEMPTS)
        if self.value() == "dead":
            return queryset.filter(exhausted, delivered_at__isnull=True)
        if self.value() == "pending":
            return queryset.filter(delivered_at__isnull=True).exclude(exhausted)
        if self.value() == "delivered":
            return queryset.filter(delivered_at__isnull=False)
        return queryset


@admin.register(Event)
class EventAdmin(ShopScopedAdmin):
    list_display = ["id", "type", "shop", "created_at", "dispatched_at", "delivered_at", "attempts", "last_error"]
    list_filter = [DeliveryFilter, "type"]
    readonly_fields = [f.name for f in Event._meta.fields]
    actions = ["redrive"]

    @admin.action(description="Re-drive the selected undelivered events")
    def redrive(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = events_redrive(event_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{count} event(s) re-driven; delivered ones were left alone.")


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "args", "queue", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["task", ("sent_at", admin.EmptyFieldListFilter)]
    readonly_fields = [f.name for f in OutboxTask._meta.fields]
