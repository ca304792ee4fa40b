"""Kernel pages: the catalogue overview, a health check and access-checked blob downloads."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.storage import default_storage
from django.db import connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
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


# The only types a blob is ever served as; anything else recorded (older rows) is served as opaque bytes.
SERVED_CONTENT_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})


@login_required
def blob(request: HttpRequest, sha256: str) -> HttpResponse:
    """A stored file, to the users whose shops reference it. Served so that it can never act as a page of
    this site: a type from the intake's format detection only, ``nosniff``, a sandboxing CSP, and a short
    private cache (a user whose access is revoked stops seeing it once the cache lapses)."""
    if not selectors.blob_visible_to(request.user, sha256):
        raise Http404("no such file")
    try:
        record = Blob.objects.get(pk=sha256)
    except Blob.DoesNotExist:
        raise Http404("no such file") from None
    content_type = record.content_type if record.content_type in SERVED_CONTENT_TYPES else "application/octet-stream"
    etag = f'"{record.sha256}"'  # content-addressed: the bytes behind a name never change
    if etag in request.headers.get("If-None-Match", ""):
        response: HttpResponse = HttpResponseNotModified()
    else:
        response = FileResponse(default_storage.open(record.path, "rb"), content_type=content_type)
        extension = content_type.rsplit("/", 1)[-1] if content_type in SERVED_CONTENT_TYPES else "bin"
        response["Content-Disposition"] = f'inline; filename="{record.sha256[:16]}.{extension}"'
    response["ETag"] = etag
    response["Cache-Control"] = f"private, max-age={settings.BLOB_CACHE_SECONDS}"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'"
    return response
