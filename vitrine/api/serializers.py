"""Serializers of API v1: shapes and field validation only; every write goes through a service. Those of the
shop's set-up (settings, markets, templates, rules, glossary, team, tokens) are in
:mod:`vitrine.api.setup_serializers`.

The merchant app validates its forms with the same classes (``VariantRequestSerializer`` here; the set-up ones).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from vitrine.api import fields as f
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import EditKind, Event, Product, SourceImage, Variant
from vitrine.review.models import Decision, ReviewItem
from vitrine.templates.models import ColourSwatch

# BCP 47 as the schema states it (letters in either case); the service then writes it canonically.
LOCALE_PATTERN = (r"^[A-Za-z]{2,3}(-[A-Za-z]{4})?(-([A-Za-z]{2}|[0-9]{3}))?"
                  r"(-([A-Za-z0-9]{5,8}|[0-9][A-Za-z0-9]{3}))*$")
REGION_PATTERN = r"^[A-Za-z]{2}$"
MAX_ID = 2**63 - 1  # the largest row id a database can hold


def file_url(sha256: str | None) -> str | None:
    return reverse("api:file", args=[sha256]) if sha256 else None


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


class ColourRowSerializer(serializers.Serializer):
    option_value = f.CharField(source="value", help_text="A value of the product's colour option.")
    photographed = f.BooleanField(help_text="A live photo shows it (its alt text names it): no colourway is made.")
    swatch = f.CharField(allow_null=True, help_text="The confirmed swatch, #RRGGBB; null until confirmed.")
    suggested_swatch = f.CharField(source="suggested", allow_null=True,
                                   help_text="A starting swatch from the colour's name while none is confirmed.")
    variant = VariantSerializer(allow_null=True, read_only=True,
                                help_text="The newest colourway of this colour (any market, any state), if any.")


class ColourwaysSerializer(serializers.Serializer):
    product_id = f.IntegerField()
    colours = ColourRowSerializer(many=True, help_text="Empty when the product has no colour option.")


class SwatchConfirmSerializer(serializers.Serializer):
    option_value = f.CharField(max_length=255, trim_whitespace=False,
                               help_text="One of the values of the product's colour option, as the store spells it.")
    color = f.CharField(max_length=32, help_text='The colour it stands for: "#RRGGBB" (or "#RGB").')


class ColourSwatchSerializer(f.StrictModelSerializer):
    class Meta:
        model = ColourSwatch
        fields = ["option_value", "color", "confirmed_at"]
        read_only_fields = fields


class ColourwaysRequestSerializer(serializers.Serializer):
    market_id = f.IntegerField(min_value=1, max_value=MAX_ID, required=False,
                               help_text="An enabled market of the shop; default: the first one.")


class ColourwaysPlanSerializer(serializers.Serializer):
    created = serializers.ListField(child=f.IntegerField(), help_text="Ids of the new colourway variants.")
    waiting_for_swatch = serializers.ListField(child=f.CharField(),
                                               help_text="Colours not photographed that have no confirmed swatch yet.")
    existing = f.IntegerField(help_text="Colourways planned before; not made twice.")


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


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = f.CharField()
    title = f.CharField()
    status = f.IntegerField()
    detail = f.CharField()
    code = f.CharField()
    errors = serializers.DictField(child=serializers.ListField(child=f.CharField()), required=False,
                                   help_text="Messages per field (dotted path for nested fields).")
