from django.urls import path
from django.views.i18n import set_language

from vitrine.console import account_views, setup_views, views

app_name = "console"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.logout, name="logout"),
    path("password/", account_views.password_forgot, name="password-forgot"),
    path("password/<uidb64>/<token>/", account_views.PasswordSetView.as_view(), name="password-set"),
    path("language/", set_language, name="language"),
    path("shop/", views.shop_switch, name="shop-switch"),
    path("image/<str:token>", views.image, name="image"),
    path("welcome/", setup_views.onboarding, name="onboarding"),
    path("welcome/<slug:step>/", setup_views.onboarding, name="onboarding-step"),
    path("review/", views.review_queue, name="review"),
    path("review/<int:item_id>/decide", views.review_decide, name="review-decide"),
    path("products/", views.products, name="products"),
    path("products/request", views.variants_request, name="variants-request"),
    path("products/<int:product_id>/", views.product, name="product"),
    path("products/<int:product_id>/swatch", views.swatch_confirm, name="swatch-confirm"),
    path("products/<int:product_id>/colourways", views.colourways_make, name="colourways-make"),
    path("variants/<int:variant_id>/", views.variant, name="variant"),
    path("variants/<int:variant_id>/<slug:action>", views.variant_action, name="variant-action"),
    path("glossary/", setup_views.glossary, name="glossary"),
    path("glossary/import", setup_views.glossary_import, name="glossary-import"),
    path("glossary/export.csv", setup_views.glossary_export, name="glossary-export"),
    path("glossary/<int:entry_id>/delete", setup_views.glossary_delete, name="glossary-delete"),
    path("team/", setup_views.team, name="team"),
    path("activity/", views.activity, name="activity"),
    path("settings/", setup_views.shop_settings, name="settings"),
]
