"""Admin pages: the template catalogue (versioned), each shop's rules and glossary, and the deferred plans."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest

from vitrine.platform import selectors as platform_selectors
from vitrine.platform.admin import ShopScopedAdmin, ShopScopedFormMixin
from vitrine.platform.roles import Action, user_can
from vitrine.templates import planner, selectors, services
from vitrine.templates.models import DeferredPlan, GlossaryEntry, TemplateRule, VariantTemplate


class VariantTemplateForm(ModelForm):
    class Meta:
        model = VariantTemplate
        fields = ["shop", "slug", "kind", "section", "title", "description", "params", "fidelity_thresholds",
                  "markets", "product_types", "alt_text", "archived"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        try:
            services.template_validate(
                slug=data.get("slug") or self.instance.slug, kind=data.get("kind", ""),
                params=data.get("params") or {}, fidelity_thresholds=data.get("fidelity_thresholds") or {},
                alt_text=data.get("alt_text") or {}, markets=data.get("markets") or [],
                product_types=data.get("product_types") or [],
            )
        except services.TemplateInvalid as exc:
            raise ValidationError(str(exc)) from None
        return data


@admin.register(VariantTemplate)
class VariantTemplateAdmin(ShopScopedFormMixin, admin.ModelAdmin):
    form = VariantTemplateForm
    list_display = ["slug", "version", "title", "kind", "section", "shop", "archived", "created_at"]
    list_filter = ["section", "kind", "archived", ("shop", admin.EmptyFieldListFilter)]
    search_fields = ["slug", "title", "description"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        shops = platform_selectors.shops_visible_to(request.user)
        return queryset.filter(Q(shop__isnull=True) | Q(shop__in=shops))

    def has_change_permission(self, request: HttpRequest, obj: VariantTemplate | None = None) -> bool:
        # Catalogue templates (no shop) serve every shop: only operators change them.
        allowed = super().has_change_permission(request, obj)
        if obj is None or request.user.is_superuser:
            return allowed
        return allowed and obj.shop_id is not None and user_can(request.user, obj.shop_id, Action.EDIT_SETTINGS)

    def get_readonly_fields(self, request: HttpRequest, obj: VariantTemplate | None = None) -> list[str]:
        # A version is identified by slug and number; they never change once written.
        return ["shop", "slug", "version", "created_at"] if obj is not None else ["version", "created_at"]

    def save_model(self, request: HttpRequest, obj: VariantTemplate, form: ModelForm, change: bool) -> None:
        if not change:
            created = services.template_create(
                slug=obj.slug, kind=obj.kind, title=obj.title, description=obj.description, params=obj.params,
                shop=obj.shop, section=obj.section, fidelity_thresholds=obj.fidelity_thresholds,
                markets=obj.markets, product_types=obj.product_types, alt_text=obj.alt_text,
            )
            obj.pk, obj.version = created.pk, created.version
            return
        revisable = [name for name in form.changed_data if name in services.REVISABLE_FIELDS]
        changes = {name: form.cleaned_data[name] for name in revisable}
        if "archived" in form.changed_data:
            VariantTemplate.objects.filter(pk=obj.pk).update(archived=form.cleaned_data["archived"])
        if not changes:
            return
        revised = services.template_revise(template_id=obj.pk, changes=changes)
        if revised.pk != obj.pk:
            self.message_user(
                request,
                f"Version {obj.version} has produced variants and stays as it was; the change is version "
                f"{revised.version}.",
                messages.INFO,
            )
        obj.pk, obj.version = revised.pk, revised.version


@admin.register(TemplateRule)
class TemplateRuleAdmin(ShopScopedAdmin):
    list_display = ["shop", "template_slug", "enabled", "market_list", "product_types", "tags", "vendors",
                    "deferred"]
    list_filter = ["shop", "enabled"]
    search_fields = ["template_slug"]
    filter_horizontal = ["markets"]
    actions = ["plan_shop_now"]

    @admin.display(description="Markets")
    def market_list(self, obj: TemplateRule) -> str:
        return ", ".join(market.locale for market in obj.markets.all()) or "all the template suits"

    @admin.display(description="Deferred (shop)")
    def deferred(self, obj: TemplateRule) -> int:
        return selectors.deferred_count(obj.shop)

    @admin.action(description="Plan variants now for every product of the selected rules' shops")
    def plan_shop_now(self, request: HttpRequest, queryset: QuerySet[TemplateRule]) -> None:
        for shop_id in sorted(set(queryset.values_list("shop_id", flat=True))):
            outcome = planner.shop_plan(shop_id=shop_id, actor=f"user:{request.user.pk}")
            self.message_user(
                request,
                f"Shop {shop_id}: {len(outcome.created)} variants planned, {outcome.deferred} deferred by "
                f"the daily cap, {outcome.existing} planned before.",
            )


@admin.register(GlossaryEntry)
class GlossaryEntryAdmin(ShopScopedAdmin):
    list_display = ["source_text", "locale", "translation", "shop", "updated_at"]
    list_filter = ["shop", "locale"]
    search_fields = ["source_text", "translation"]


@admin.register(DeferredPlan)
class DeferredPlanAdmin(ShopScopedAdmin):
    list_display = ["shop", "template_slug", "market", "source_image", "created_at"]
    list_filter = ["shop", "template_slug"]
    readonly_fields = ["shop", "source_image", "template_slug", "market", "created_at"]
    actions = ["plan_now"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Plan the selected shops' deferred variants now (within today's cap)")
    def plan_now(self, request: HttpRequest, queryset: QuerySet[DeferredPlan]) -> None:
        for shop_id in sorted(set(queryset.values_list("shop_id", flat=True))):
            outcome = planner.deferred_plan(shop_id=shop_id, actor=f"user:{request.user.pk}")
            self.message_user(request, f"Shop {shop_id}: {len(outcome.created)} planned; the rest waits.")
