"""Reads of the API layer."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from vitrine.api.models import ApiToken, IdempotentRequest
from vitrine.api.services import token_digest
from vitrine.platform.models import Shop


def api_token_for(raw: str) -> ApiToken | None:
    """The active token with this value (compared by digest), with its user and shop."""
    token = ApiToken.objects.select_related("user", "shop").filter(digest=token_digest(raw)).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    return token


def api_tokens_of(shop: Shop) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(shop=shop).select_related("user").order_by("-created_at", "-pk")


def idempotent_requests_older_than(days: int) -> QuerySet[IdempotentRequest]:
    return IdempotentRequest.objects.filter(created_at__lt=timezone.now() - timedelta(days=days))
