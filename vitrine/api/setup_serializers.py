"""Serializers of the shop's set-up in API v1: settings, markets, templates and rules, glossary, team and tokens.

The merchant app validates its forms with the same classes (``ShopSettingsSerializer``, ``MarketSerializer``,
``TemplateRuleSerializer``, ``GlossaryEntrySerializer``, ``InviteSerializer``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vitrine.api import fields as f
from vitrine.api.models import ApiToken
from vitrine.api.serializers import LOCALE_PATTERN, MAX_ID, REGION_PATTERN, file_url
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.merchants import (
    MAX_DAILY_CAP,
    REVIEW_MODES,
    locale_validate,
    review_policy_of,
)
from vitrine.platform.models import Market, ShopMembership, Variant
from vitrine.platform.roles import Role
from vitrine.templates.models import GlossaryEntry, TemplateRule, VariantTemplate


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
