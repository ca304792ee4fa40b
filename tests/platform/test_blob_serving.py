"""Blobs can never act as a page of this site, and a revoked user stops getting them."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from PIL import Image, PngImagePlugin

from tests.factories import make_source_image
from vitrine.platform import intake
from vitrine.platform.models import Blob, Product, ShopMembership, SourceImage
from vitrine.platform.services import blob_put, image_intake

SCRIPT = b"<html><script>alert(document.cookie)</script></html>"


def png_with_script() -> bytes:
    """A valid PNG whose text chunk carries markup: passes intake, must still never be served as HTML."""
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


@pytest.fixture
def member(shop):  # type: ignore[no-untyped-def]
    user = User.objects.create_user("viewer", password="pw-for-tests-only")
    ShopMembership.objects.create(user=user, shop=shop, role="viewer")
    return user


def attach(shop, original: Blob, image: Blob) -> SourceImage:  # type: ignore[no-untyped-def]
    product = Product.objects.create(shop=shop, external_id="x", title="X")
    return SourceImage.objects.create(product=product, remote_id="x.html", original=original, image=image,
                                      sha256=image.sha256, width=64, height=64)


def test_an_image_named_html_is_stored_and_served_as_the_format_detected(client, shop, member) -> None:  # type: ignore[no-untyped-def]
    result = image_intake(png_with_script(), filename="x.html")
    assert result.original.content_type == "image/png"
    attach(shop, result.original, result.image)
    client.force_login(member)
    response = client.get(reverse("blob", args=[result.original.sha256]))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert SCRIPT in b"".join(response.streaming_content)  # the bytes are kept as they came ...
    csp = response["Content-Security-Policy"]
    assert csp.startswith("sandbox") and "default-src 'none'" in csp  # ... and cannot run
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline; filename=") and ".png" in response["Content-Disposition"]


def test_a_blob_recorded_with_another_type_is_served_as_opaque_bytes(client, shop, member) -> None:  # type: ignore[no-untyped-def]
    legacy = blob_put(data=png_with_script(), content_type="text/html")  # stored by older code
    image = make_source_image(shop, external_id="mug").image
    attach(shop, legacy, image)
    client.force_login(member)
    response = client.get(reverse("blob", args=[legacy.sha256]))
    assert response["Content-Type"] == "application/octet-stream" and "sandbox" in response["Content-Security-Policy"]


def test_blobs_are_cached_briefly_and_privately_and_a_revoked_user_loses_them(client, shop, member, settings) -> None:  # type: ignore[no-untyped-def]
    settings.BLOB_CACHE_SECONDS = 120
    image = make_source_image(shop, external_id="mug").image
    url = reverse("blob", args=[image.sha256])
    client.force_login(member)
    response = client.get(url)
    assert response["Cache-Control"] == "private, max-age=120"
    assert "immutable" not in response["Cache-Control"]
    # Revalidation is cheap while access lasts ...
    assert client.get(url, headers={"If-None-Match": response["ETag"]}).status_code == 304
    ShopMembership.objects.filter(user=member).delete()
    # ... and refused as soon as it ends, also for a conditional request.
    assert client.get(url, headers={"If-None-Match": response["ETag"]}).status_code == 404


def test_the_exif_note_appears_only_when_the_image_was_rotated() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 200)).save(buffer, format="JPEG")
    assert not any("EXIF" in note for note in intake.image_normalize(buffer.getvalue()).warnings)
    exif = Image.Exif()
    exif[0x0112] = 1  # "already upright"
    buffer = io.BytesIO()
    Image.new("RGB", (80, 60), (10, 120, 200)).save(buffer, format="JPEG", exif=exif.tobytes())
    assert not any("EXIF" in note for note in intake.image_normalize(buffer.getvalue()).warnings)
