"""Read-only REST API over the catalogue and variants, scoped to the caller's shops."""

from __future__ import annotations

from rest_framework import routers, serializers, viewsets

from vitrine.platform import selectors
from vitrine.platform.models import Product, Variant
from vitrine.platform.pagination import NewestFirstPagination


class ProductSerializer(serializers.ModelSerializer):
    image_count = serializers.IntegerField(read_only=True)
    shop = serializers.CharField(source="shop.external_id")

    class Meta:
        model = Product
        fields = ["id", "shop", "external_id", "handle", "title", "product_type", "category", "vendor", "tags",
                  "status", "image_count", "synced_at"]


class VariantSerializer(serializers.ModelSerializer):
    market = serializers.CharField(source="market.locale")
    product_id = serializers.IntegerField(source="source_image.product_id")

    class Meta:
        model = Variant
        fields = ["id", "product_id", "source_image_id", "market", "kind", "template_slug", "template_version",
                  "state", "failure_reason", "fidelity_verdict", "fidelity_score", "backend", "model_id",
                  "render_details", "seed", "created_at", "updated_at"]


class ProductViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ProductSerializer
    pagination_class = NewestFirstPagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return selectors.products_for_user(self.request.user)


class VariantViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = VariantSerializer
    pagination_class = NewestFirstPagination

    def get_queryset(self):  # type: ignore[no-untyped-def]
        queryset = selectors.variants_for_user(self.request.user)
        state = self.request.query_params.get("state")
        return queryset.filter(state=state) if state else queryset


router = routers.DefaultRouter()
router.register("products", ProductViewSet, basename="product")
router.register("variants", VariantViewSet, basename="variant")
