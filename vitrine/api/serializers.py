"""Serializers of API v1: shapes and field validation only; every write goes through a service.

The merchant app validates its forms with the same classes (``ShopSettingsSerializer``, ``MarketSerializer``,
``TemplateRuleSerializer``, ``GlossaryEntrySerializer``, ``VariantRequestSerializer``, ``InviteSerializer``).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vitrine.api import fields as f
from vitrine.api.models import ApiToken
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.merchants import (
    MAX_DAILY_CAP,
    REVIEW_MODES,
    locale_validate,
    review_policy_of,
)
from vitrine.platform.models import EditKind, Event, Market, Product, ShopMembership, SourceImage, Variant
from vitrine.platform.roles import Role
from vitrine.review.models import Decision, ReviewItem
from vitrine.templates.models import GlossaryEntry, TemplateRule, VariantTemplate

# BCP 47 as the schema states it (letters in either case); the service then writes it canonically.
LOCALE_PATTERN = (r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?"
                  r"(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$")
REGION_PATTERN = r"^[A-Za-z]{2}$"
MAX_ID = 2**63 - 1  # the largest row id a database can hold


def file_url(sha256: str | None) -> str | None:
    return reverse("api:file", args=[sha256]) if sha256 else None


class MarketSerializer(f.StrictModelSerializer):
    locale = f.RegexField(LOCALE_PATTERN, max_length=35, trim_whitespace=False,
                                    help_text="BCP 47 language tag, e.g. de-DE, fr, zh-Hans-CN.",
                                    error_messages={"invalid": "not a BCP 47 language tag (e.g. de-DE, zh-Hans-CN)"})
    region = f.RegexField(REGION_PATTERN, max_length=2, required=False, allow_blank=True,
                                    trim_whitespace=False,
                                    help_text="ISO 3166-1 alpha-2; defaults to the tag's region.",
                                    error_messages={"invalid": "not an ISO 3166-1 alpha-2 country code (e.g. DE)"})
    language = f.CharField(read_only=True)

    class Meta:
        model = Market
        fields = ["id", "locale", "region", "name", "enabled", "language"]
        extra_kwargs = {"name": {"required": False}, "enabled": {"required": False}}

    def validate_locale(self, value: str) -> str:
        from django.core.exceptions import ValidationError

        try:
            return locale_validate(value)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None


class ShopSettingsSerializer(serializers.Serializer):
    id = f.IntegerField(read_only=True)
    name = f.CharField(read_only=True)
    provider = f.CharField(read_only=True)
    external_id = f.CharField(read_only=True)
    installed = f.BooleanField(read_only=True, source="is_installed")
    markets = MarketSerializer(many=True, read_only=True)
    review_mode = f.ChoiceField(choices=REVIEW_MODES, required=False,
                                          help_text="review_all: a person reviews every variant; "
                                                    "auto_publish_pass: verdict pass above the score skips review.")
    auto_publish_min_score = f.FloatField(min_value=0.0, max_value=1.0, required=False)
    daily_variant_cap = f.IntegerField(min_value=0, max_value=MAX_DAILY_CAP, required=False)
    auto_generate = f.BooleanField(required=False)
    publish_mode = f.ChoiceField(choices=["add", "replace"], required=False)
    publish_on_approve = f.BooleanField(required=False,
                                                  help_text="Publish at approval (true) or wait for a publish call.")

    def to_representation(self, shop: Any) -> dict[str, Any]:
        data = super().to_representation(shop)
        mode, score = review_policy_of(shop)
        data.update(review_mode=mode, auto_publish_min_score=score,
                    publish_on_approve=bool(shop.settings.get("publish_on_approve", True)))
        data["markets"] = MarketSerializer(shop.markets.order_by("pk"), many=True).data
        return data


class LocalizedTextSerializer(serializers.Serializer):
    en = f.CharField()
    zh = f.CharField()


class TemplateVersionSerializer(f.StrictModelSerializer):
    class Meta:
        model = VariantTemplate
        fields = ["version", "archived", "created_at"]


class TemplatePreviewSerializer(serializers.Serializer):
    variant_id = f.IntegerField()
    market = f.CharField()
    state = f.CharField()
    before_url = f.CharField(allow_null=True)
    after_url = f.CharField(allow_null=True)


class TemplateSerializer(f.StrictModelSerializer):
    title = serializers.SerializerMethodField()
    description = serializers.SerializerMethodField()
    own = serializers.SerializerMethodField(help_text="A template of this shop (not the built-in catalogue).")
    versions = serializers.SerializerMethodField()
    previews = serializers.SerializerMethodField(help_text="This shop's newest variants made with it.")

    class Meta:
        model = VariantTemplate
        fields = ["slug", "version", "kind", "section", "title", "description", "markets", "product_types",
                  "alt_text", "own", "versions", "previews"]

    @extend_schema_field(LocalizedTextSerializer)
    def get_title(self, template: VariantTemplate) -> dict[str, str]:
        from vitrine.templates.selectors import template_text

        return {language: template_text(template, language)[0] for language in ("en", "zh")}

    @extend_schema_field(LocalizedTextSerializer)
    def get_description(self, template: VariantTemplate) -> dict[str, str]:
        from vitrine.templates.selectors import template_text

        return {language: template_text(template, language)[1] for language in ("en", "zh")}

    def get_own(self, template: VariantTemplate) -> bool:
        return template.shop_id is not None

    @extend_schema_field(TemplateVersionSerializer(many=True))
    def get_versions(self, template: VariantTemplate) -> list[dict[str, Any]]:
        versions = VariantTemplate.objects.filter(slug=template.slug).order_by("-version")
        return TemplateVersionSerializer(versions, many=True).data

    @extend_schema_field(TemplatePreviewSerializer(many=True))
    def get_previews(self, template: VariantTemplate) -> list[dict[str, Any]]:
        shop = self.context.get("shop")
        if shop is None:
            return []
        variants = (Variant.objects.filter(shop=shop, template_slug=template.slug, output__isnull=False)
                    .exclude(state__in=[VariantState.SUPERSEDED, VariantState.REJECTED])
                    .select_related("market", "source_image").order_by("-pk")[:3])
        return [{"variant_id": v.pk, "market": v.market.locale, "state": v.state,
                 "before_url": file_url(v.source_image.image_id), "after_url": file_url(v.output_id)}
                for v in variants]


class TemplateRuleSerializer(f.StrictModelSerializer):
    market_ids = serializers.ListField(child=f.IntegerField(min_value=1, max_value=MAX_ID),
                                       required=False,
                                       help_text="Markets to make variants for; empty: every market it suits.")
    product_types = serializers.ListField(child=f.CharField(max_length=255), required=False)
    tags = serializers.ListField(child=f.CharField(max_length=255), required=False)
    vendors = serializers.ListField(child=f.CharField(max_length=255), required=False)
    template_slug = f.SlugField(max_length=100, trim_whitespace=False)

    class Meta:
        model = TemplateRule
        fields = ["id", "template_slug", "market_ids", "product_types", "tags", "vendors", "enabled",
                  "created_at"]
        read_only_fields = ["id", "created_at"]
        extra_kwargs = {"enabled": {"required": False}}
        validators: list[Any] = []  # the (shop, template) uniqueness is the service's create-or-replace

    def to_representation(self, rule: TemplateRule) -> dict[str, Any]:
        data = super().to_representation(rule)
        data["market_ids"] = sorted(market.pk for market in rule.markets.all())
        return data


class GlossaryEntrySerializer(f.StrictModelSerializer):
    source_text = f.CharField(max_length=500)
    locale = f.CharField(max_length=35, help_text="A market locale (de-DE) or a language (de).")
    translation = f.CharField(max_length=1000)

    class Meta:
        model = GlossaryEntry
        fields = ["id", "source_text", "locale", "translation", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators: list[Any] = []  # create-or-replace by (phrase, locale) in the service

    def validate_locale(self, value: str) -> str:
        from vitrine.templates.services import locale_normalize

        try:
            return locale_normalize(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        for name in ("source_text", "translation"):
            if name in attrs and not attrs[name].strip():
                raise serializers.ValidationError({name: "may not be blank"})
        return attrs


class GlossaryImportSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="UTF-8 CSV with the header source_text,locale,translation.")


class GlossaryImportResultSerializer(serializers.Serializer):
    created = f.IntegerField()
    updated = f.IntegerField()
    errors = serializers.ListField(child=f.CharField(), help_text="One line per row left out.")


class VariantSerializer(f.StrictModelSerializer):
    product_id = f.IntegerField(source="source_image.product_id", read_only=True)
    market = f.CharField(source="market.locale", read_only=True)
    output_url = serializers.SerializerMethodField()
    source_url = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = ["id", "product_id", "source_image_id", "market_id", "market", "kind", "template_slug",
                  "template_version", "state", "failure_reason", "fidelity_verdict", "fidelity_score",
                  "alt_text", "source_url", "output_url", "supersedes_id", "published_at", "render_details",
                  "created_at", "updated_at"]
        read_only_fields = fields

    def get_output_url(self, variant: Variant) -> str | None:
        return file_url(variant.output_id)

    def get_source_url(self, variant: Variant) -> str | None:
        return file_url(variant.source_image.image_id)


class VariantRequestSerializer(serializers.Serializer):
    product_ids = serializers.ListField(child=f.IntegerField(min_value=1, max_value=MAX_ID), min_length=1,
                                        max_length=500)
    template_slugs = serializers.ListField(child=f.SlugField(max_length=100, trim_whitespace=False),
                                          min_length=1,
                                          max_length=50)
    market_ids = serializers.ListField(child=f.IntegerField(min_value=1, max_value=MAX_ID), min_length=1,
                                       max_length=50)


class VariantRequestResultSerializer(serializers.Serializer):
    created = serializers.ListField(child=f.IntegerField(), help_text="Ids of the new variants.")
    deferred = f.IntegerField(help_text="Held back by the daily cap, planned on a later day.")
    existing = f.IntegerField(help_text="Planned before; not made twice.")
    skipped = serializers.ListField(child=f.CharField(), help_text="Combinations left out, and why.")


class RegenerateSerializer(serializers.Serializer):
    reason = f.CharField(max_length=500, required=False, allow_blank=True)
    params_adjust = serializers.DictField(required=False, help_text="Recipe parameters to change.")


class SourceImageSerializer(f.StrictModelSerializer):
    url = serializers.SerializerMethodField()
    variants = serializers.SerializerMethodField(help_text="The image's current variants by market locale.")

    class Meta:
        model = SourceImage
        fields = ["id", "position", "alt", "width", "height", "url", "variants"]

    def get_url(self, image: SourceImage) -> str | None:
        return file_url(image.image_id)

    @extend_schema_field({"type": "object", "additionalProperties": {"type": "array", "items": {
        "$ref": "#/components/schemas/Variant"}}})
    def get_variants(self, image: SourceImage) -> dict[str, list[dict[str, Any]]]:
        grouped: dict[str, list[dict[str, Any]]] = {}
        live = [v for v in image.variants.all() if v.state != VariantState.SUPERSEDED]
        for variant in sorted(live, key=lambda v: v.pk):
            grouped.setdefault(variant.market.locale, []).append(VariantSerializer(variant).data)
        return grouped


class ProductSerializer(f.StrictModelSerializer):
    image_count = f.IntegerField(read_only=True)

    class Meta:
        model = Product
        fields = ["id", "external_id", "handle", "title", "product_type", "vendor", "tags", "status",
                  "image_count", "synced_at"]
        read_only_fields = fields


class ProductDetailSerializer(ProductSerializer):
    images = serializers.SerializerMethodField()

    class Meta(ProductSerializer.Meta):
        fields = [*ProductSerializer.Meta.fields, "images"]
        read_only_fields = fields

    @extend_schema_field(SourceImageSerializer(many=True))
    def get_images(self, product: Product) -> list[dict[str, Any]]:
        images = [image for image in product.images.all() if image.removed_at is None and not image.published_by_us]
        return SourceImageSerializer(sorted(images, key=lambda i: (i.position, i.pk)), many=True).data


class ReviewItemSerializer(f.StrictModelSerializer):
    variant = VariantSerializer(read_only=True)
    claimed_by = f.CharField(source="claimed_by.get_username", read_only=True, allow_null=True,
                                       default=None)

    class Meta:
        model = ReviewItem
        fields = ["id", "state", "priority", "due_at", "claimed_by", "claimed_at", "claim_expires_at",
                  "decided_at", "variant"]
        read_only_fields = fields


class ClaimFiltersSerializer(serializers.Serializer):
    kind = f.ChoiceField(choices=EditKind.choices, required=False)
    market_id = f.IntegerField(min_value=1, max_value=MAX_ID, required=False)
    template = f.SlugField(max_length=100, required=False, trim_whitespace=False)


class DecisionInputSerializer(serializers.Serializer):
    action = f.ChoiceField(choices=Decision.Action.choices)
    reason_code = f.ChoiceField(choices=Decision.Reason.choices, required=False, allow_blank=True,
                                          help_text="Needed to reject or regenerate.")
    note = f.CharField(max_length=2000, required=False, allow_blank=True)
    seconds_spent = f.FloatField(min_value=0, max_value=3600, required=False)
    params_adjust = serializers.DictField(required=False, help_text="Regenerate only: parameters to change.")


class DecisionSerializer(f.StrictModelSerializer):
    reason_code = f.CharField(help_text="Empty for an approval.")
    class Meta:
        model = Decision
        fields = ["id", "item_id", "variant_id", "action", "reason_code", "note", "seconds_spent", "created_at"]
        read_only_fields = fields


class FixSerializer(serializers.Serializer):
    action = f.CharField(help_text="retry, regenerate, reconnect, ...")
    method = f.CharField()
    href = f.CharField()


class EventSerializer(f.StrictModelSerializer):
    variant_id = serializers.SerializerMethodField()
    fix = serializers.SerializerMethodField(help_text="The call that fixes a failure that still stands.")

    class Meta:
        model = Event
        fields = ["id", "type", "created_at", "variant_id", "payload", "fix"]
        read_only_fields = fields

    def get_variant_id(self, event: Event) -> int | None:
        value = event.payload.get("variant_id") if isinstance(event.payload, dict) else None
        return value if isinstance(value, int) else None

    @extend_schema_field(FixSerializer(allow_null=True))
    def get_fix(self, event: Event) -> dict[str, str] | None:
        variant_id = self.get_variant_id(event)
        failed = self.context.get("failed_ids", set())
        if event.type == "variant.failed" and variant_id in failed:
            return fix_for_failed(variant_id)
        return None


def fix_for_failed(variant_id: int) -> dict[str, str]:
    return {"action": "retry", "method": "POST", "href": reverse("api:variant-retry", args=[variant_id])}


class FailureSerializer(f.StrictModelSerializer):
    product_id = f.IntegerField(source="source_image.product_id", read_only=True)
    product_title = f.CharField(source="source_image.product.title", read_only=True)
    market = f.CharField(source="market.locale", read_only=True)
    fix = serializers.SerializerMethodField()
    alternatives = serializers.SerializerMethodField()

    class Meta:
        model = Variant
        fields = ["id", "product_id", "product_title", "market", "template_slug", "failure_reason", "updated_at",
                  "fix", "alternatives"]
        read_only_fields = fields

    @extend_schema_field(FixSerializer)
    def get_fix(self, variant: Variant) -> dict[str, str]:
        return fix_for_failed(variant.pk)

    @extend_schema_field(FixSerializer(many=True))
    def get_alternatives(self, variant: Variant) -> list[dict[str, str]]:
        return [{"action": "regenerate", "method": "POST",
                 "href": reverse("api:variant-regenerate", args=[variant.pk])}]


class UsageDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    total = f.IntegerField()
    by_market = serializers.DictField(child=f.IntegerField())


class UsageSerializer(serializers.Serializer):
    daily_variant_cap = f.IntegerField()
    today = f.IntegerField(help_text="Variants created today (what the cap counts).")
    remaining_today = f.IntegerField()
    deferred = f.IntegerField(help_text="Variants waiting for a later day's cap.")
    days = UsageDaySerializer(many=True)


class UserSerializer(serializers.Serializer):
    id = f.IntegerField()
    username = f.CharField()
    email = f.CharField(allow_blank=True)


class MembershipSerializer(f.StrictModelSerializer):
    user = UserSerializer(read_only=True)
    role = f.ChoiceField(choices=Role.choices)

    class Meta:
        model = ShopMembership
        fields = ["id", "user", "role"]
        read_only_fields = ["id", "user"]


class InviteSerializer(serializers.Serializer):
    email = f.EmailField()
    role = f.ChoiceField(choices=Role.choices)


class ApiTokenSerializer(f.StrictModelSerializer):
    user = f.CharField(source="user.get_username", read_only=True)
    role = f.ChoiceField(choices=Role.choices, required=False,
                                   help_text="Defaults to your role; never more than it.")
    name = f.CharField(max_length=100, required=False, allow_blank=True)

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "role", "user", "created_at", "last_used_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "user", "created_at", "last_used_at", "revoked_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = f.CharField(read_only=True, help_text="The token itself: shown only in this answer.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = f.CharField()
    title = f.CharField()
    status = f.IntegerField()
    detail = f.CharField()
    code = f.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=f.CharField()), required=False,
                                   help_text="Messages per field (dotted path for nested fields).")

