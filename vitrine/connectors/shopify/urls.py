from django.urls import path

from vitrine.connectors.shopify import views

urlpatterns = [
    path("", views.app_home, name="shopify-app-home"),
    path("patch-id-token", views.patch_id_token, name="shopify-patch-id-token"),
    path("session", views.session, name="shopify-session"),
    path("install", views.oauth_install, name="shopify-oauth-install"),
    path("callback", views.oauth_callback, name="shopify-oauth-callback"),
    path("webhooks", views.webhook, name="shopify-webhooks"),
]
