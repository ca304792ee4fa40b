from django.urls import include, path

app_name = "connectors"

urlpatterns = [
    path("shopify/", include("vitrine.connectors.shopify.urls")),
    path("taobao/", include("vitrine.connectors.taobao.urls")),
]
