"""Writes of the API layer: personal tokens and the idempotent-request record."""

from __future__ import annotations

import hashlib
import logging
import secrets

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from vitrine.api.models import ApiToken, IdempotentRequest
from vitrine.platform.models import Shop
from vitrine.platform.roles import ROLE_ACTIONS, Role, role_in

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "vit_"
PREFIX_SHOWN = 12  # "vit_" and 8 random characters: enough to tell tokens apart, useless to guess with


def token_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def role_at_most(role: str, ceiling: str | None) -> bool:
    """Whether ``role`` allows nothing that ``ceiling`` does not."""
    return ceiling is not None and ROLE_ACTIONS[role] <= ROLE_ACTIONS[ceiling]


def api_token_create(*, shop: Shop, user: AbstractBaseUser, role: str | None = None, name: str = "",
                     actor: str = "system") -> tuple[ApiToken, str]:
    """Make a personal token for ``user`` in ``shop``; returns (row, the token itself, shown only now).

    ``role`` defaults to the user's own role in the shop and may not exceed it.
    """
    own = role_in(user, shop)
    if own is None:
        raise ValidationError({"user": f"{user} is not a member of {shop}"})
    role = role or own
    if role not in Role.values:
        raise ValidationError({"role": f"must be one of {', '.join(Role.values)}"})
    if not role_at_most(role, own):
        raise ValidationError({"role": f"a token cannot have more rights than its user ({own})"})
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, shop=shop, role=role, name=name.strip()[:100],
                                    prefix=raw[:PREFIX_SHOWN], digest=token_digest(raw))
    logger.info("API token %s created for user %s in shop %s by %s", token.prefix, user.pk, shop.pk, actor)
    return token, raw


def api_token_revoke(*, shop: Shop, token_id: int, actor: str) -> ApiToken:
    token = ApiToken.objects.get(shop=shop, pk=token_id)
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        logger.info("API token %s revoked by %s", token.prefix, actor)
    return token


def api_token_touch(*, token: ApiToken) -> None:
    """Record use, at most once a minute per token, so reads do not each write a row."""
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


# --- idempotency --------------------------------------------------------------------------------
class IdempotencyConflict(Exception):
    """The key was used before for another request, or the first request with it is still running."""


def idempotent_begin(*, shop: Shop, caller: str, key: str, method: str, path: str, body: bytes
                     ) -> IdempotentRequest | None:
    """Reserve ``key``; returns the finished earlier record to replay, or None when this request is the first.

    The reservation row is committed at once, so a concurrent repeat sees it and is refused as in progress.
    """
    fingerprint = hashlib.sha256(method.encode() + b" " + path.encode() + b"\n" + body).hexdigest()
    try:
        with transaction.atomic():
            IdempotentRequest.objects.create(shop=shop, caller=caller, key=key, method=method, path=path[:500],
                                             fingerprint=fingerprint)
            return None
    except IntegrityError:
        earlier = IdempotentRequest.objects.get(shop=shop, caller=caller, key=key)
    if earlier.fingerprint != fingerprint:
        raise IdempotencyConflict(f"the Idempotency-Key {key!r} was used for a different request")
    if earlier.status is None:
        raise IdempotencyConflict(f"the first request with Idempotency-Key {key!r} is still running")
    return earlier


def idempotent_finish(*, shop: Shop, caller: str, key: str, status: int, response: object) -> None:
    """Keep a successful answer for replay; forget the key after a failure so the client may try again."""
    records = IdempotentRequest.objects.filter(shop=shop, caller=caller, key=key)
    if 200 <= status < 300:
        records.update(status=status, response=response)
    else:
        records.delete()


def idempotent_requests_purge(*, days: int) -> int:
    """Forget idempotency keys older than ``days``: a client retries within minutes, not weeks."""
    from vitrine.api.selectors import idempotent_requests_older_than

    deleted, _ = idempotent_requests_older_than(days).delete()
    return deleted
