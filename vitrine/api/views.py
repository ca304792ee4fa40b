"""API v1 endpoints: thin views that validate with a serializer, call one service, and answer."""

from __future__ import annotations

import re
from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Count, Prefetch, QuerySet
from django.http import FileResponse, Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from vitrine.api import examples as ex
from vitrine.api import serializers as s
from vitrine.api import services as api_services
from vitrine.api.authentication import Caller
from vitrine.api.base import ApiViewSet
from vitrine.api.filters import EventFilter, ProductFilter, VariantFilter
from vitrine.api.models import ApiToken
from vitrine.api.selectors import api_tokens_of
from vitrine.api.serializers import LOCALE_PATTERN
from vitrine.connectors import services as connector_services
from vitrine.platform import selectors as platform_selectors
from vitrine.platform import services as platform_services
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Blob, EditKind, Event, Market, Product, ShopMembership, SourceImage, Variant
from vitrine.platform.roles import Action, role_in
from vitrine.review import services as review_services
from vitrine.review.models import ReviewItem
from vitrine.review.selectors import QueueFilters
from vitrine.templates import planner
from vitrine.templates import selectors as template_selectors
from vitrine.templates import services as template_services
from vitrine.templates.models import GlossaryEntry, TemplateRule, VariantTemplate

CSV_MEDIA_TYPE = "text/csv"


class PassthroughRenderer(BaseRenderer):
    """Lets a client ask for a file's own media type; the view answers the bytes itself."""

    format = "file"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> Any:
        if isinstance(data, bytes | str):
            return data
        return JSONRenderer().render(data)  # an error answer: problem+json whatever was asked for


class CsvRenderer(PassthroughRenderer):
    media_type = CSV_MEDIA_TYPE
    format = "csv"


class ImageRenderer(PassthroughRenderer):
    media_type = "image/*"
    format = "image"


# --- the shop's settings ---------------------------------------------------------------------------
@extend_schema_view(
    retrieve=extend_schema(summary="The current shop's settings", description="Markets, review policy, daily cap.",
                           examples=[ex.SHOP]),
    partial_update=extend_schema(summary="Change the review policy, daily cap or publishing switches",
                                 examples=[ex.SHOP_PATCH, ex.SHOP]),
)
class ShopSettingsViewSet(ApiViewSet):
    serializer_class = s.ShopSettingsSerializer
    write_actions = {"partial_update": Action.EDIT_SETTINGS}
    pagination_class = None

    def retrieve(self, request: Request) -> Response:
        return Response(self.get_serializer(self.shop).data)

    def partial_update(self, request: Request) -> Response:
        serializer = self.get_serializer(self.shop, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        shop = platform_services.shop_settings_update(shop=self.shop, actor=self.actor, **serializer.validated_data)
        return Response(self.get_serializer(shop).data)


# --- markets ----------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List the shop's markets", examples=[ex.MARKET]),
    retrieve=extend_schema(summary="One market", examples=[ex.MARKET]),
    create=extend_schema(summary="Add a market (BCP 47 locale)", examples=[ex.MARKET_IN, ex.MARKET]),
    update=extend_schema(summary="Replace a market's fields", examples=[ex.MARKET_IN, ex.MARKET]),
    partial_update=extend_schema(summary="Change a market (e.g. disable it)", examples=[ex.MARKET_PATCH, ex.MARKET]),
    destroy=extend_schema(summary="Delete a market no variant was made for"),
)
class MarketViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = Market.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = s.MarketSerializer
    write_actions = dict.fromkeys(["create", "update", "partial_update", "destroy"], Action.EDIT_SETTINGS)

    def get_queryset(self) -> QuerySet[Market]:
        return Market.objects.filter(shop=self.shop)

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        market = platform_services.market_create(shop=self.shop, actor=self.actor, **serializer.validated_data)
        return Response(self.get_serializer(market).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        market = self.get_object()
        serializer = self.get_serializer(market, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        market = platform_services.market_update(shop=self.shop, market_id=market.pk, actor=self.actor,
                                                 **serializer.validated_data)
        return Response(self.get_serializer(market).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        platform_services.market_delete(shop=self.shop, market_id=self.get_object().pk, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- templates ------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(
        summary="The template catalogue (newest live version of each)",
        parameters=[OpenApiParameter("section", str, enum=VariantTemplate.Section.values),
                    OpenApiParameter("kind", str, enum=EditKind.values),
                    OpenApiParameter("market", str, description="Only templates that suit this locale.",
                                     pattern=LOCALE_PATTERN)],
        examples=[ex.TEMPLATE],
    ),
    retrieve=extend_schema(summary="One template with its versions and previews", examples=[ex.TEMPLATE]),
)
class TemplateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = s.TemplateSerializer
    pagination_class = None
    lookup_field = "slug"
    lookup_value_regex = r"[-a-zA-Z0-9_]+"
    filter_backends: list[Any] = []

    def get_queryset(self) -> list[Any]:  # type: ignore[override]
        templates = template_selectors.templates_current(self.shop)
        params = self.request.query_params
        if "kind" in params and params["kind"] not in EditKind.values:
            raise serializers.ValidationError({"kind": [f"must be one of {', '.join(EditKind.values)}"]})
        if "market" in params and not re.fullmatch(LOCALE_PATTERN, params["market"]):
            raise serializers.ValidationError({"market": ["not a BCP 47 language tag (e.g. de-DE)"]})
        if "section" in params and params["section"] not in VariantTemplate.Section.values:
            sections = ", ".join(VariantTemplate.Section.values)
            raise serializers.ValidationError({"section": [f"must be one of {sections}"]})
        if "section" in params:
            templates = [t for t in templates if t.section == params["section"]]
        if "kind" in params:
            templates = [t for t in templates if t.kind == params["kind"]]
        if "market" in params:
            market = Market(shop=self.shop, locale=params["market"])
            templates = [t for t in templates if template_selectors.template_fits_market(t, market)]
        return templates

    def get_object(self) -> Any:
        template = template_selectors.template_current(self.kwargs["slug"], shop=self.shop)
        if template is None:
            raise Http404(f"there is no live template {self.kwargs['slug']!r}")
        return template


# --- template rules -------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List the shop's template rules", examples=[ex.RULE]),
    retrieve=extend_schema(summary="One template rule", examples=[ex.RULE]),
    create=extend_schema(summary="Apply a template (replaces the template's existing rule)",
                         examples=[ex.RULE_IN, ex.RULE]),
    update=extend_schema(summary="Replace a template rule", examples=[ex.RULE_IN, ex.RULE]),
    partial_update=extend_schema(summary="Change a template rule", examples=[ex.RULE_PATCH, ex.RULE]),
    destroy=extend_schema(summary="Stop applying a template (its variants stay)"),
)
class TemplateRuleViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = TemplateRule.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = s.TemplateRuleSerializer
    write_actions = dict.fromkeys(["create", "update", "partial_update", "destroy"], Action.EDIT_SETTINGS)

    def get_queryset(self) -> QuerySet[TemplateRule]:
        return TemplateRule.objects.filter(shop=self.shop).prefetch_related("markets")

    def _save(self, data: dict[str, Any], rule: TemplateRule | None = None) -> TemplateRule:
        market_ids = data.pop("market_ids", None)
        if rule is not None:
            if data.get("template_slug", rule.template_slug) != rule.template_slug:
                raise serializers.ValidationError({"template_slug": "a rule's template cannot change; add a rule"})
            current = {"product_types": rule.product_types, "tags": rule.tags, "vendors": rule.vendors,
                       "enabled": rule.enabled, "template_slug": rule.template_slug}
            data = {**current, **data}
            if market_ids is None:
                market_ids = [market.pk for market in rule.markets.all()]
        markets = list(Market.objects.filter(shop=self.shop, pk__in=market_ids or []))
        missing = sorted(set(market_ids or []) - {market.pk for market in markets})
        if missing:
            raise serializers.ValidationError({"market_ids": [f"no market {missing[0]} in this shop"]})
        return template_services.rule_set(shop=self.shop, markets=markets, **data)

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        rule = self._save(dict(serializer.validated_data))
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        rule = self.get_object()
        serializer = self.get_serializer(rule, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        rule = self._save(dict(serializer.validated_data), rule)
        return Response(self.get_serializer(rule).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        template_services.rule_delete(shop=self.shop, rule_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- glossary -------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="List the glossary", examples=[ex.GLOSSARY]),
    retrieve=extend_schema(summary="One glossary entry", examples=[ex.GLOSSARY]),
    create=extend_schema(summary="Add or replace a phrase's translation", examples=[ex.GLOSSARY_IN, ex.GLOSSARY]),
    update=extend_schema(summary="Replace a glossary entry", examples=[ex.GLOSSARY_IN, ex.GLOSSARY]),
    partial_update=extend_schema(summary="Change a glossary entry", examples=[ex.GLOSSARY_PATCH, ex.GLOSSARY]),
    destroy=extend_schema(summary="Delete a glossary entry"),
    import_csv=extend_schema(summary="Import glossary entries from CSV", request=s.GlossaryImportSerializer,
                             responses={200: s.GlossaryImportResultSerializer}, examples=[ex.GLOSSARY_IMPORTED]),
    export_csv=extend_schema(summary="Export the glossary as CSV", responses={
        (200, CSV_MEDIA_TYPE): OpenApiResponse(OpenApiTypes.STR, examples=[ex.GLOSSARY_CSV])}),
)
class GlossaryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = GlossaryEntry.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = s.GlossaryEntrySerializer
    write_actions = dict.fromkeys(["create", "update", "partial_update", "destroy", "import_csv"],
                                  Action.EDIT_SETTINGS)

    def get_queryset(self) -> QuerySet[GlossaryEntry]:
        return GlossaryEntry.objects.filter(shop=self.shop)

    def _refused(self, exc: ValueError) -> serializers.ValidationError:
        return serializers.ValidationError({"non_field_errors": [str(exc)]})

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            entry = template_services.glossary_set(shop=self.shop, **serializer.validated_data)
        except ValueError as exc:
            raise self._refused(exc) from None
        return Response(self.get_serializer(entry).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, pk: str, partial: bool = False) -> Response:
        entry = self.get_object()
        serializer = self.get_serializer(entry, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields = {"source_text": entry.source_text, "locale": entry.locale, "translation": entry.translation,
                  **serializer.validated_data}
        try:
            entry = template_services.glossary_update(shop=self.shop, entry_id=entry.pk, **fields)
        except ValueError as exc:
            raise self._refused(exc) from None
        return Response(self.get_serializer(entry).data)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self.update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        template_services.glossary_delete(shop=self.shop, entry_id=self.get_object().pk)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=False, methods=["post"], url_path="import", parser_classes=[MultiPartParser, FormParser],
            filter_backends=[], pagination_class=None)
    def import_csv(self, request: Request) -> Response:
        serializer = s.GlossaryImportSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            upload = serializer.validated_data["file"]
            result = template_services.glossary_import_csv(shop=self.shop, data=upload.read())
        except ValueError as exc:
            raise serializers.ValidationError({"file": [str(exc)]}) from None
        return Response(s.GlossaryImportResultSerializer(result).data)

    @action(detail=False, methods=["get"], url_path="export", filter_backends=[], pagination_class=None,
            renderer_classes=[CsvRenderer, JSONRenderer])
    def export_csv(self, request: Request) -> HttpResponse:
        response = HttpResponse(template_selectors.glossary_csv(self.shop),
                                content_type=f"{CSV_MEDIA_TYPE}; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="glossary.csv"'
        return response


# --- products -------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="Search and filter products", examples=[ex.PRODUCT]),
    retrieve=extend_schema(summary="A product with its source images and their variants per market",
                           examples=[ex.PRODUCT_DETAIL]),
)
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = Product.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    filterset_class = ProductFilter

    def get_serializer_class(self) -> type[serializers.Serializer]:
        return s.ProductDetailSerializer if self.action == "retrieve" else s.ProductSerializer

    def get_queryset(self) -> QuerySet[Product]:
        products = Product.objects.filter(shop=self.shop, deleted_at__isnull=True).annotate(
            image_count=Count("images", distinct=True))
        if self.action == "retrieve":
            variants = Variant.objects.select_related("market", "source_image").order_by("pk")
            products = products.prefetch_related(
                Prefetch("images", SourceImage.objects.prefetch_related(Prefetch("variants", variants))))
        return products


# --- variants -------------------------------------------------------------------------------------
def _variant_action(summary: str, description: str, request: Any = None) -> Any:
    return extend_schema(summary=summary, description=description, request=request,
                         responses={202: s.VariantSerializer}, examples=[ex.VARIANT_ACCEPTED])


@extend_schema_view(
    list=extend_schema(summary="Filter variants by state, market, kind, template or product", examples=[ex.VARIANT]),
    retrieve=extend_schema(summary="One variant", examples=[ex.VARIANT]),
    request_variants=extend_schema(
        summary="Request variants for products x templates x markets",
        description="Plans through the shop's planner: a plan made before is not made twice and the daily cap "
                    "holds (the rest is deferred to a later day).",
        request=s.VariantRequestSerializer, responses={202: s.VariantRequestResultSerializer},
        examples=[ex.VARIANT_REQUEST, ex.VARIANT_REQUESTED]),
    regenerate=_variant_action("Replace a variant with a new one (fresh seed)",
                               "Answers the new variant. A published variant must be reverted first.",
                               s.RegenerateSerializer),
    retry=_variant_action("Render a failed variant again", "failed -> requested, same plan and seed.", None),
    publish=_variant_action("Publish an approved variant to the store", "approved -> publishing; the store "
                            "call runs in the background and the variant ends published or failed.", None),
    revert=_variant_action("Take a published variant off the listing", "The original image is restored; the "
                           "variant ends superseded.", None),
)
class VariantViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = Variant.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = s.VariantSerializer
    filterset_class = VariantFilter
    write_actions = {"request_variants": Action.REQUEST_VARIANTS, "regenerate": Action.REQUEST_VARIANTS,
                     "retry": Action.REQUEST_VARIANTS, "publish": Action.PUBLISH, "revert": Action.PUBLISH}

    def get_queryset(self) -> QuerySet[Variant]:
        return Variant.objects.filter(shop=self.shop).select_related("market", "source_image")

    def _accepted(self, variant_id: int) -> Response:
        variant = self.get_queryset().get(pk=variant_id)
        return Response(s.VariantSerializer(variant).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=False, methods=["post"], url_path="request", filter_backends=[], pagination_class=None)
    def request_variants(self, request: Request) -> Response:
        serializer = s.VariantRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        outcome = planner.variants_request(shop=self.shop, actor=self.actor, **serializer.validated_data)
        return Response(s.VariantRequestResultSerializer(outcome).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def regenerate(self, request: Request, pk: str) -> Response:
        serializer = s.RegenerateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        replacement = review_services.variant_regenerate(variant_id=self.get_object().pk, actor=self.actor,
                                                         **serializer.validated_data)
        return self._accepted(replacement.pk)

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def retry(self, request: Request, pk: str) -> Response:
        variant = platform_services.variant_retry(variant_id=self.get_object().pk, actor=self.actor)
        return self._accepted(variant.pk)

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def publish(self, request: Request, pk: str) -> Response:
        variant = connector_services.variant_publish_request(variant_id=self.get_object().pk, actor=self.actor)
        return self._accepted(variant.pk)

    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def revert(self, request: Request, pk: str) -> Response:
        variant = connector_services.variant_revert_request(variant_id=self.get_object().pk, actor=self.actor)
        return self._accepted(variant.pk)


# --- review items ---------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="Review items waiting for a decision, in queue order", examples=[ex.REVIEW_ITEM]),
    retrieve=extend_schema(summary="One review item", examples=[ex.REVIEW_ITEM]),
    claim_next=extend_schema(
        summary="Claim the next review item", description="Your own live claim comes back first. 204 when "
        "nothing is left to review.", request=s.ClaimFiltersSerializer,
        responses={200: s.ReviewItemSerializer, 204: OpenApiResponse(description="Nothing left to review")},
        examples=[ex.CLAIM_FILTERS, ex.REVIEW_ITEM]),
    decide=extend_schema(summary="Approve, reject or regenerate a review item", request=s.DecisionInputSerializer,
                         responses={201: s.DecisionSerializer}, examples=[ex.DECISION_IN, ex.DECISION]),
)
class ReviewItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = ReviewItem.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = s.ReviewItemSerializer
    write_actions = {"claim_next": Action.REVIEW, "decide": Action.REVIEW}
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[ReviewItem]:
        items = ReviewItem.objects.filter(shop=self.shop).select_related(
            "variant__market", "variant__source_image", "claimed_by")
        if self.action == "list":
            items = items.exclude(state=ReviewItem.State.DECIDED).filter(variant__state=VariantState.IN_REVIEW)
        return items

    @action(detail=False, methods=["post"], url_path="claim-next", pagination_class=None)
    def claim_next(self, request: Request) -> Response:
        serializer = s.ClaimFiltersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        filters = QueueFilters(shop_id=self.shop.pk, kind=data.get("kind", ""), market_id=data.get("market_id"),
                               template=data.get("template", ""))
        item = review_services.review_item_claim_next(reviewer=request.user, filters=filters)
        if item is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(s.ReviewItemSerializer(self.get_queryset().get(pk=item.pk)).data)

    @action(detail=True, methods=["post"], pagination_class=None)
    def decide(self, request: Request, pk: str) -> Response:
        item = self.get_object()
        serializer = s.DecisionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        decision = review_services.DecisionInput(**serializer.validated_data)
        record = review_services.review_item_decide(item_id=item.pk, reviewer=request.user, decision=decision)
        return Response(s.DecisionSerializer(record).data, status=status.HTTP_201_CREATED)


# --- activity and usage ---------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="What happened in the shop, newest first (with the fix for open failures)",
                       examples=[ex.EVENT]),
    failures=extend_schema(summary="Failures that need the merchant, each with the call that fixes it",
                           responses=s.FailureSerializer(many=True), examples=[ex.FAILURE]),
)
class ActivityViewSet(mixins.ListModelMixin, ApiViewSet):
    queryset = Event.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = s.EventSerializer
    filterset_class = EventFilter

    def get_queryset(self) -> QuerySet[Any]:
        return platform_selectors.events_of(self.shop)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if self.action == "list":
            context["failed_ids"] = set(platform_selectors.failed_variants(self.shop).values_list("pk", flat=True))
        return context

    @action(detail=False, methods=["get"], serializer_class=s.FailureSerializer, filter_backends=[])
    def failures(self, request: Request) -> Response:
        page = self.paginate_queryset(platform_selectors.failed_variants(self.shop))
        return self.get_paginated_response(s.FailureSerializer(page, many=True).data)


@extend_schema_view(
    retrieve=extend_schema(summary="Variants made per day and per market, against the daily cap",
                           parameters=[OpenApiParameter("days", int, description="1 to 90 (default 14)")],
                           examples=[ex.USAGE]),
)
class UsageViewSet(ApiViewSet):
    serializer_class = s.UsageSerializer
    pagination_class = None
    filter_backends: list[Any] = []

    def retrieve(self, request: Request) -> Response:
        raw = request.query_params.get("days", "14")
        if not raw.isdigit() or not 1 <= int(raw) <= 90:
            raise serializers.ValidationError({"days": ["must be a whole number from 1 to 90"]})
        shop = self.shop
        today = template_selectors.variants_created_today(shop)
        data = {"daily_variant_cap": shop.daily_variant_cap, "today": today,
                "remaining_today": max(0, shop.daily_variant_cap - today),
                "deferred": template_selectors.deferred_count(shop),
                "days": platform_selectors.usage_by_day(shop, days=int(raw))}
        return Response(s.UsageSerializer(data).data)


# --- team and tokens ------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="Members of the shop and their roles", examples=[ex.MEMBERSHIP]),
    retrieve=extend_schema(summary="One member", examples=[ex.MEMBERSHIP]),
    create=extend_schema(summary="Invite a person by e-mail with a role", request=s.InviteSerializer,
                         responses={201: s.MembershipSerializer}, examples=[ex.INVITE, ex.MEMBERSHIP]),
    partial_update=extend_schema(summary="Change a member's role", examples=[ex.ROLE_PATCH, ex.MEMBERSHIP]),
    destroy=extend_schema(summary="Remove a member from the shop"),
)
class MembershipViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = ShopMembership.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = s.MembershipSerializer
    write_actions = dict.fromkeys(["create", "partial_update", "destroy"], Action.MANAGE_TEAM)
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[ShopMembership]:
        return ShopMembership.objects.filter(shop=self.shop).select_related("user")

    def create(self, request: Request) -> Response:
        serializer = s.InviteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = platform_services.membership_invite(shop=self.shop, actor=self.actor, **serializer.validated_data)
        return Response(s.MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request: Request, pk: str) -> Response:
        membership = self.get_object()
        serializer = self.get_serializer(membership, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "role" in serializer.validated_data:
            membership = platform_services.membership_set_role(
                shop=self.shop, membership_id=membership.pk, role=serializer.validated_data["role"], actor=self.actor)
        return Response(self.get_serializer(membership).data)

    def destroy(self, request: Request, pk: str) -> Response:
        platform_services.membership_remove(shop=self.shop, membership_id=self.get_object().pk, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema_view(
    list=extend_schema(summary="API tokens (yours; every member's for owners)", examples=[ex.TOKEN]),
    retrieve=extend_schema(summary="One API token", examples=[ex.TOKEN]),
    create=extend_schema(summary="Create a personal API token (shown once)",
                         responses={201: s.ApiTokenCreatedSerializer},
                         examples=[ex.TOKEN_IN, ex.TOKEN_CREATED]),
    destroy=extend_schema(summary="Revoke an API token"),
)
class ApiTokenViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = ApiToken.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    serializer_class = s.ApiTokenSerializer
    # Any member may make and revoke tokens for themselves; other members' tokens need MANAGE_TEAM.
    write_actions = {"create": Action.VIEW, "destroy": Action.VIEW}
    http_method_names = ["get", "post", "delete", "head", "options"]

    def get_queryset(self) -> QuerySet[Any]:
        from vitrine.api.permissions import caller_can

        tokens = api_tokens_of(self.shop)
        if not caller_can(self.request, self.shop, Action.MANAGE_TEAM):
            tokens = tokens.filter(user=self.request.user)
        return tokens

    def create(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        caller = request.auth if isinstance(request.auth, Caller) else None
        own = role_in(request.user, self.shop)
        ceiling = caller.role_cap if caller is not None and caller.role_cap else own
        role = serializer.validated_data.get("role") or ceiling
        if ceiling is None or not api_services.role_at_most(role, ceiling) or (
                own is not None and not api_services.role_at_most(role, own)):
            raise serializers.ValidationError({"role": [f"a token cannot have more rights than you ({ceiling})"]})
        token, raw = api_services.api_token_create(shop=self.shop, user=request.user, role=role,
                                                   name=serializer.validated_data.get("name", ""), actor=self.actor)
        data = {**s.ApiTokenSerializer(token).data, "token": raw}
        return Response(data, status=status.HTTP_201_CREATED)

    def destroy(self, request: Request, pk: str) -> Response:
        api_services.api_token_revoke(shop=self.shop, token_id=self.get_object().pk, actor=self.actor)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(exclude=True)
class NotFoundViewSet(ApiViewSet):
    """Any other address under /api/v1/: a 404 in the API's own problem format."""

    permission_classes: list[Any] = []
    authentication_classes: list[Any] = []
    throttle_classes: list[Any] = []

    def missing(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        raise Http404("there is no such address in API v1")


# --- files ----------------------------------------------------------------------------------------
@extend_schema_view(
    retrieve=extend_schema(summary="Download an image of the shop (source, variant, diff)",
                           responses={(200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY,
                                                                          examples=[ex.FILE])}),
)
class FileViewSet(ApiViewSet):
    lookup_field = "sha256"
    lookup_value_regex = r"[0-9a-f]{64}"
    pagination_class = None
    filter_backends: list[Any] = []
    serializer_class = s.ProblemSerializer  # unused: the answer is the file
    renderer_classes = [ImageRenderer, JSONRenderer]

    def retrieve(self, request: Request, sha256: str) -> FileResponse:
        if not platform_selectors.blob_in_shop(self.shop, sha256):
            raise Http404("no such file in this shop")
        blob = Blob.objects.filter(pk=sha256).first()
        if blob is None:
            raise Http404("no such file in this shop")
        response = FileResponse(default_storage.open(blob.path, "rb"), content_type=blob.content_type)
        response["Cache-Control"] = "private, max-age=31536000, immutable"
        return response

