"""Admin pages for shops, markets, products, images, variants and the event outbox."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from vitrine.platform import selectors, services
from vitrine.platform.models import (
    Event,
    Market,
    OutboxTask,
    Product,
    Shop,
    ShopMembership,
    SourceImage,
    SyncRun,
    Variant,
    VariantTransition,
)
from vitrine.platform.roles import Action, shops_where, user_can
from vitrine.platform.services import events_redrive

admin.site.site_header = "Vitrine"
admin.site.site_title = "Vitrine"
admin.site.index_title = "Store app administration"


def _thumb(blob_id: str | None, height: int = 64) -> str:
    if not blob_id:
        return "-"
    return format_html('<img src="{}" height="{}" loading="lazy">', reverse("blob", args=[blob_id]), height)


def shop_lookup_of(model: type[Model]) -> str | None:
    """The ORM path from ``model`` to the shop that owns its rows, or None for rows no shop owns."""
    if model is Shop:
        return "pk"
    names = {field.name for field in model._meta.get_fields()}
    for lookup in ("shop", "product__shop", "source_image__product__shop"):
        if lookup.split("__", 1)[0] in names:
            return lookup
    return None


def _shop_id_of(obj: Model, lookup: str) -> int | None:
    if lookup == "pk":
        return obj.pk
    *path, last = lookup.split("__")
    for name in path:
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return getattr(obj, f"{last}_id", None)


class ShopScopedFormMixin:
    """Foreign-key and many-to-many choices limited to the shops where the user may make the change: a member
    of shop A neither sees shop B (or B's markets, products, ...) in a dropdown nor can post B's ids."""

    change_action: str = Action.EDIT_SETTINGS

    def _scope_choices(self, db_field: Any, request: HttpRequest, kwargs: dict[str, Any]) -> None:
        lookup = shop_lookup_of(db_field.related_model)
        if request.user.is_superuser or lookup is None or "queryset" in kwargs:
            return
        shops = shops_where(request.user, self.change_action)
        kwargs["queryset"] = db_field.related_model._default_manager.filter(**{f"{lookup}__in": shops})

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._scope_choices(db_field, request, kwargs)
        if db_field.related_model is Shop and not request.user.is_superuser:
            kwargs["required"] = True  # a row without a shop belongs to every shop: operators only
        return super().formfield_for_foreignkey(db_field, request, **kwargs)  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)  # type: ignore[misc]


class ShopScopedAdmin(ShopScopedFormMixin, admin.ModelAdmin):
    """Rows of the shops the user is a member of, and changes only where their role allows
    ``change_action`` (see :mod:`vitrine.platform.roles`, the one table the API and the console use too)."""

    @property
    def shop_lookup(self) -> str | None:
        return shop_lookup_of(self.model)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if self.shop_lookup is None:
            return queryset.none()  # rows no shop owns (e.g. a store's category cache): operators only
        return queryset.filter(**{f"{self.shop_lookup}__in": shops_where(request.user, Action.VIEW)})

    def _role_allows(self, request: HttpRequest, obj: Model | None, action: str) -> bool:
        if request.user.is_superuser:
            return True
        shop_id = None if obj is None or self.shop_lookup is None else _shop_id_of(obj, self.shop_lookup)
        if shop_id is None:
            # No object, or one found by another path (get_queryset already limited it to the user's shops).
            return shops_where(request.user, action).exists()
        return user_can(request.user, shop_id, action)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_view_permission(request, obj) and self._role_allows(request, obj, Action.VIEW)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and self._role_allows(request, None, self.change_action)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._role_allows(request, obj, self.change_action)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._role_allows(request, obj, self.change_action)


class ShopInline(ShopScopedFormMixin, admin.TabularInline):
    """An inline on the shop page: changed only where the role allows ``change_action`` in that shop."""

    def _role_allows(self, request: HttpRequest, obj: Model | None) -> bool:
        if request.user.is_superuser:
            return True
        return obj is not None and user_can(request.user, obj.pk, self.change_action)

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_add_permission(request, obj) and self._role_allows(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_change_permission(request, obj) and self._role_allows(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._role_allows(request, obj)


class MarketInline(ShopInline):
    model = Market
    extra = 0


class MembershipInline(ShopInline):
    model = ShopMembership
    extra = 0
    autocomplete_fields = ["user"]
    change_action = Action.MANAGE_TEAM


@admin.register(Shop)
class ShopAdmin(ShopScopedAdmin):
    list_display = ["__str__", "provider", "external_id", "installed_at", "uninstalled_at", "auto_generate"]
    list_filter = ["provider", "auto_generate"]
    search_fields = ["name", "external_id"]
    inlines = [MarketInline, MembershipInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser  # shops come from installing the app

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return super().has_delete_permission(request, obj) and self._role_allows(
            request, obj, Action.MANAGE_CONNECTION)


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
    change_action = Action.REQUEST_VARIANTS
    list_display = ["id", "preview", "shop", "kind", "market", "template_slug", "state", "fidelity_verdict",
                    "fidelity_score"]
    list_filter = ["state", "kind", "shop", "fidelity_verdict"]
    search_fields = ["template_slug", "source_image__product__title"]
    readonly_fields = ["state", "failure_reason", "render_details", "created_at", "updated_at"]
    raw_id_fields = ["source_image", "output", "used_mask", "supersedes", "market"]
    inlines = [TransitionInline]
    actions = ["retry"]

    @admin.display(description="Output")
    def preview(self, obj: Variant) -> str:
        return _thumb(obj.output_id)

    @admin.action(description="Retry the selected failed or waiting variants", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet) -> None:
        retried, refused = 0, []
        for variant_id in queryset.values_list("pk", flat=True):
            try:
                services.variant_retry(variant_id=variant_id, actor=f"user:{request.user.pk}",
                                       reason="retried from the admin")
            except services.VariantNotRetryable as exc:
                refused.extend(exc.messages)
            else:
                retried += 1
        if retried:
            self.message_user(request, f"Sent {retried} variant(s) back for rendering.", messages.SUCCESS)
        for why in refused[:20]:
            self.message_user(request, why, messages.WARNING)


class DeliveryFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        return [("dead", "Abandoned (attempts exhausted)"), ("pending", "Undelivered, still retried"),
                ("delivered", "Delivered")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "dead":
            return queryset.filter(selectors.event_abandoned())
        if self.value() == "pending":
            return queryset.filter(delivered_at__isnull=True).exclude(selectors.event_abandoned())
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


@admin.register(SyncRun)
class SyncRunAdmin(ShopScopedAdmin):
    """Catalogue reads are written by the sync driver only: people look, never edit."""

    list_display = ["shop", "provider", "full", "mode", "status", "stats", "started_at", "finished_at"]
    list_filter = ["provider", "status", "full", "mode"]
    readonly_fields = [f.name for f in SyncRun._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(OutboxTask)
class OutboxTaskAdmin(admin.ModelAdmin):
    list_display = ["id", "task", "args", "queue", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = ["task", ("sent_at", admin.EmptyFieldListFilter)]
    readonly_fields = [f.name for f in OutboxTask._meta.fields]
