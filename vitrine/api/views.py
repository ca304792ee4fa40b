"""API v1 endpoints: thin views that validate with a serializer, call one service, and answer."""

from __future__ import annotations

from typing import Any

from django.core.files.storage import default_storage
from django.db.models import Count, Prefetch, QuerySet
from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from vitrine.api import examples as ex
from vitrine.api import serializers as s
from vitrine.api.base import ApiViewSet
from vitrine.api.filters import EventFilter, ProductFilter, VariantFilter
from vitrine.api.renderers import ImageRenderer
from vitrine.connectors import services as connector_services
from vitrine.platform import selectors as platform_selectors
from vitrine.platform import services as platform_services
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Blob, Event, Product, SourceImage, Variant
from vitrine.platform.roles import Action
from vitrine.review import services as review_services
from vitrine.review.models import ReviewItem
from vitrine.review.selectors import QueueFilters
from vitrine.templates import colourways as colourway_services
from vitrine.templates import planner
from vitrine.templates import selectors as template_selectors


# --- products -------------------------------------------------------------------------------------
@extend_schema_view(
    list=extend_schema(summary="Search and filter products", examples=[ex.PRODUCT]),
    retrieve=extend_schema(summary="A product with its source images and their variants per market",
                           examples=[ex.PRODUCT_DETAIL]),
)
class ProductViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    queryset = Product.objects.none()  # the model, for the schema; get_queryset scopes to the shop
    filterset_class = ProductFilter
    write_actions = {"swatch_confirm": Action.REQUEST_VARIANTS, "colourways_make": Action.REQUEST_VARIANTS}

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

    @extend_schema(
        summary="The product's colours: photographed or not, swatch, newest colourway",
        description="One row per value of the product's colour option (Color, Colour, 颜色, ...), in the "
                    "store's order; empty when it has none. A colour without a confirmed swatch shows a "
                    "suggestion from its name.",
        responses={200: s.ColourwaysSerializer}, examples=[ex.COLOURWAYS])
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def colourways(self, request: Request, pk: str) -> Response:
        product = self.get_object()
        data = {"product_id": product.pk, "colours": colourway_services.colourways_overview(product)}
        return Response(s.ColourwaysSerializer(data).data)

    @colourways.mapping.post
    @extend_schema(
        summary="Make colourways: one variant per missing colour with a confirmed swatch",
        description="Recoloured from the main photo for one market (default: the shop's first enabled market). "
                    "Colours a photo shows are left out; those without a confirmed swatch come back in "
                    "waiting_for_swatch. A colourway planned before is not made twice. 409 when the product "
                    "has no colour option or no photo.",
        request=s.ColourwaysRequestSerializer, responses={202: s.ColourwaysPlanSerializer},
        examples=[ex.COLOURWAYS_IN, ex.COLOURWAYS_PLANNED])
    def colourways_make(self, request: Request, pk: str) -> Response:
        serializer = s.ColourwaysRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        plan = colourway_services.colourways_plan(product_id=self.get_object().pk, actor=self.actor,
                                                  market_id=serializer.validated_data.get("market_id"))
        return Response(s.ColourwaysPlanSerializer(plan).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Confirm the swatch a colour stands for",
        description="Colourways are rendered only from confirmed swatches. Confirming again replaces the swatch "
                    "(colourways already made keep the one they were made from).",
        request=s.SwatchConfirmSerializer, responses={200: s.ColourSwatchSerializer},
        examples=[ex.SWATCH_IN, ex.SWATCH])
    @action(detail=True, methods=["post"], url_path="swatches", filter_backends=[], pagination_class=None)
    def swatch_confirm(self, request: Request, pk: str) -> Response:
        serializer = s.SwatchConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        swatch = colourway_services.swatch_confirm(product_id=self.get_object().pk, actor=self.actor,
                                                   **serializer.validated_data)
        return Response(s.ColourSwatchSerializer(swatch).data)


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

