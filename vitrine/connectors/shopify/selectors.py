"""Shopify reads: whether a products/update delivery tells us anything new."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from vitrine.connectors.selectors import media_ids_published_by_us
from vitrine.connectors.shopify.publishing import PROVIDER, is_our_file_url
from vitrine.platform.models import Product, Shop


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(tag) for tag in value]
    return [tag.strip() for tag in str(value or "").split(",") if tag.strip()]


def product_update_known(*, shop: Shop, product_id: str, payload: dict[str, Any]) -> str | None:
    """Why a products/update delivery needs no sync (our own publish echoing back, an out-of-date or
    repeated delivery), or None when it shows something our copy lacks.

    No field of the payload says which app made a change, so the payload is compared with our copy:
    product fields equal, every image one we hold from the same address or one we published.
    """
    product = Product.objects.filter(shop=shop, external_id=product_id, deleted_at__isnull=True).first()
    if product is None:
        return None
    updated_at = payload.get("updated_at")
    known_at = product.remote_updated_at
    if updated_at and known_at is not None and _parse(str(updated_at)) <= known_at:
        return "not newer than our copy"
    same_fields = (
        payload.get("title", "") == product.title and payload.get("handle", "") == product.handle
        and payload.get("product_type", "") == product.product_type and payload.get("vendor", "") == product.vendor
        and _tags(payload.get("tags")) == list(product.tags)
        and str(payload.get("status", "")).lower() == product.status.lower()
    )
    if not same_fields or "media" not in payload:
        return None
    sources = {
        image.remote_id: image.source_url for image in product.images.filter(removed_at__isnull=True)
    }
    ours = media_ids_published_by_us(shop=shop, provider=PROVIDER)
    listed: set[str] = set()
    echo = False
    for media in payload["media"]:
        media_id = media.get("admin_graphql_api_id", "")
        source_url = (media.get("preview_image") or {}).get("src") or ""
        listed.add(media_id)
        if media_id in ours or is_our_file_url(source_url):
            echo = True
        elif media.get("media_content_type", "IMAGE") != "IMAGE":
            continue
        elif sources.get(media_id) != source_url:
            return None  # a new image, or a file the merchant replaced
    if set(sources) - listed - ours:
        return None  # an image was taken off the listing
    return "echo of our own publishing" if echo else "nothing changed"
