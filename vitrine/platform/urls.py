from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from vitrine.platform import views

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("blobs/<str:sha256>", views.blob, name="blob"),
    path("api/v1/", include("vitrine.api.urls")),
    path("connectors/", include("vitrine.connectors.urls")),
    path("app/", include("vitrine.console.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
