"""API v1 routes, the OpenAPI document and its two readers (served from the sidecar package, no CDN)."""

from __future__ import annotations

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework import routers

from vitrine.api import views

app_name = "api"

router = routers.SimpleRouter()
router.register("markets", views.MarketViewSet, basename="market")
router.register("templates", views.TemplateViewSet, basename="template")
router.register("template-rules", views.TemplateRuleViewSet, basename="template-rule")
router.register("glossary", views.GlossaryViewSet, basename="glossary")
router.register("products", views.ProductViewSet, basename="product")
router.register("variants", views.VariantViewSet, basename="variant")
router.register("review-items", views.ReviewItemViewSet, basename="review-item")
router.register("activity", views.ActivityViewSet, basename="activity")
router.register("members", views.MembershipViewSet, basename="member")
router.register("tokens", views.ApiTokenViewSet, basename="token")

urlpatterns = [
    path("shop/", views.ShopSettingsViewSet.as_view({"get": "retrieve", "patch": "partial_update"}), name="shop"),
    path("usage/", views.UsageViewSet.as_view({"get": "retrieve"}), name="usage"),
    path("files/<str:sha256>/", views.FileViewSet.as_view({"get": "retrieve"}), name="file"),
    path("", include(router.urls)),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="swagger"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    re_path(r"", views.NotFoundViewSet.as_view({method: "missing" for method in
                                                 ("get", "post", "put", "patch", "delete")}), name="missing"),
]
