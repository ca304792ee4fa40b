"""API v1 routes, the OpenAPI document and its two readers (served from the sidecar package, no CDN)."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import routers

from vitrine.api import setup_views, views

app_name = "api"

router = routers.SimpleRouter()
router.register("markets", setup_views.MarketViewSet, basename="market")
router.register("templates", setup_views.TemplateViewSet, basename="template")
router.register("template-rules", setup_views.TemplateRuleViewSet, basename="template-rule")
router.register("glossary", setup_views.GlossaryViewSet, basename="glossary")
router.register("products", views.ProductViewSet, basename="product")
router.register("variants", views.VariantViewSet, basename="variant")
router.register("review-items", views.ReviewItemViewSet, basename="review-item")
router.register("activity", views.ActivityViewSet, basename="activity")
router.register("members", setup_views.MembershipViewSet, basename="member")
router.register("tokens", setup_views.ApiTokenViewSet, basename="token")

urlpatterns = [
    path("shop/", setup_views.ShopSettingsViewSet.as_view({"get": "retrieve", "patch": "partial_update"}), name="shop"),
    path("usage/", views.UsageViewSet.as_view({"get": "retrieve"}), name="usage"),
    path("files/<str:sha256>/", views.FileViewSet.as_view({"get": "retrieve"}), name="file"),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="swagger"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    re_path(r"", views.NotFoundViewSet.as_view({method: "missing" for method in
                                                 ("get", "post", "put", "patch", "delete")}), name="missing"),
]
