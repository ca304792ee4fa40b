"""Kernel pages: the catalogue overview, a health check and access-checked blob downloads."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from vitrine.platform import selectors
from vitrine.platform.models import Blob


@login_required
def home(request: HttpRequest) -> HttpResponse:
    shops = selectors.shops_visible_to(request.user).prefetch_related("markets")
    products = selectors.products_for_user(request.user).prefetch_related("images").order_by("shop_id", "title")
    overview = [(shop, selectors.variant_state_counts(shop)) for shop in shops]
    return render(request, "platform/home.html", {"overview": overview, "products": products[:500]})


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    # Counts, not a verdict: monitoring alerts on any of them staying above zero.
    return JsonResponse({"status": "ok", "reliability": selectors.reliability_counts()})


@login_required
def blob(request: HttpRequest, sha256: str) -> FileResponse:
    if not selectors.blob_visible_to(request.user, sha256):
        raise Http404("no such file")
    try:
        record = Blob.objects.get(pk=sha256)
    except Blob.DoesNotExist:
        raise Http404("no such file") from None
    response = FileResponse(default_storage.open(record.path, "rb"), content_type=record.content_type)
    response["Cache-Control"] = "private, max-age=31536000, immutable"  # content-addressed: never changes
    return response
