"""Store-agnostic connector writes: install states, credentials, the inbox, publishing moves and redaction of
our records.

Store specifics (how to publish, how to verify a webhook) stay in each store's package; these functions
hold what every store shares, so the variant lifecycle reads the same for all of them.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from vitrine.connectors.base import connector_for
from vitrine.connectors.errors import ApiError
from vitrine.connectors.models import Credential, InboxMessage, OAuthState, PublishRecord
from vitrine.platform import events
from vitrine.platform.lifecycle import IllegalTransition, VariantState
from vitrine.platform.models import Shop, Variant
from vitrine.platform.outbox import task_enqueue
from vitrine.platform.services import VariantActionRefused, variant_transition

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

PUBLISH_ACTOR = "task:publish"
# An install or authorisation flow must come back within this long; older states are refused, then swept.
OAUTH_STATE_TTL = timedelta(hours=1)


# --- install / authorisation states ---------------------------------------------------------------
def oauth_state_issue(*, provider: str, shop_domain: str = "", user: AbstractBaseUser | None = None) -> str:
    """A fresh single-use state nonce for one flow, bound to the shop domain and/or the user given."""
    nonce = secrets.token_urlsafe(32)
    OAuthState.objects.create(provider=provider, nonce=nonce, shop_domain=shop_domain, user=user)
    return nonce


def oauth_state_consume(*, provider: str, nonce: str, shop_domain: str = "",
                        user: AbstractBaseUser | None = None) -> bool:
    """Use up a state nonce: True once for a fresh nonce issued with exactly this binding, False ever after."""
    if not nonce:
        return False
    now = timezone.now()
    used = OAuthState.objects.filter(
        provider=provider, nonce=nonce, shop_domain=shop_domain, user=user, used_at__isnull=True,
        created_at__gte=now - OAUTH_STATE_TTL,
    ).update(used_at=now)
    return used == 1


def oauth_states_sweep() -> int:
    """Delete the expired states of every store (used or not: past the TTL none can be accepted)."""
    deleted, _ = OAuthState.objects.filter(created_at__lt=timezone.now() - OAUTH_STATE_TTL).delete()
    return deleted


# --- credentials ----------------------------------------------------------------------------------
def credential_store(*, shop: Shop, access_token: str, scope: str, access_expires_at: datetime | None,
                     refresh_token: str, refresh_expires_at: datetime | None) -> Credential:
    """Save a shop's tokens (both at once: a rotated refresh token must never be stored without its pair)."""
    credential, _ = Credential.objects.update_or_create(shop=shop, defaults=dict(
        access_token=access_token, scope=scope, access_expires_at=access_expires_at,
        refresh_token=refresh_token, refresh_expires_at=refresh_expires_at, revoked_at=None,
    ))
    return credential


def credential_revoke(*, shop: Shop) -> None:
    """Forget a shop's tokens (the store revoked them, e.g. on uninstall)."""
    Credential.objects.filter(shop=shop).update(access_token="", refresh_token="", access_expires_at=None,
                                                refresh_expires_at=None, revoked_at=timezone.now())


# --- inbox ----------------------------------------------------------------------------------------
def inbox_record(*, provider: str, delivery_id: str, topic: str, shop_domain: str, payload: dict[str, Any],
                 event_id: str = "", api_version: str = "", triggered_at: datetime | None = None
                 ) -> tuple[InboxMessage, bool]:
    """Store one delivery; the second return value is False for a repeat of a delivery already stored."""
    try:
        with transaction.atomic():
            message = InboxMessage.objects.create(
                provider=provider, delivery_id=delivery_id, topic=topic, shop_domain=shop_domain,
                payload=payload, event_id=event_id, api_version=api_version, triggered_at=triggered_at,
            )
            return message, True
    except IntegrityError:
        return InboxMessage.objects.get(provider=provider, delivery_id=delivery_id), False


# --- publishing -----------------------------------------------------------------------------------
def variant_publish(*, variant_id: int) -> Variant:
    """approved -> publishing -> published through the shop's connector (idempotent: a retry resumes).

    A transient store error leaves the variant ``publishing`` and propagates, for the task to retry; a
    terminal one moves it to ``failed`` with the store's message.
    """
    variant = Variant.objects.select_related("shop", "market", "output", "source_image__product",
                                             "source_image__original").get(pk=variant_id)
    if variant.state == VariantState.APPROVED:
        variant_transition(variant_id=variant_id, to=VariantState.PUBLISHING, actor=PUBLISH_ACTOR,
                           expected_from=VariantState.APPROVED)
    elif variant.state != VariantState.PUBLISHING:
        return variant  # published already, or moved on: a duplicate task has nothing to do
    if variant.output_id is None:
        return variant_transition(variant_id=variant_id, to=VariantState.FAILED, actor=PUBLISH_ACTOR,
                                  reason="nothing to publish: the variant has no rendered image",
                                  expected_from=VariantState.PUBLISHING)
    connector = connector_for(variant.shop)
    try:
        result = connector.publish_variant(variant)
    except ApiError as exc:
        if exc.retryable:
            raise
        return variant_fail_publishing(variant_id=variant_id, reason=f"the store refused the image: {exc.message}")
    with transaction.atomic():
        published = variant_transition(
            variant_id=variant_id, to=VariantState.PUBLISHED, actor=PUBLISH_ACTOR,
            expected_from=VariantState.PUBLISHING, remote_media_id=result.remote_media_id,
            published_at=timezone.now(),
        )
        events.emit(events.VARIANT_PUBLISHED, {"variant_id": variant_id, "remote_media_id": result.remote_media_id,
                                               "resumed": result.already_published}, shop=published.shop)
        if result.replaced_source:
            _displaced_supersede(published, per_market=connector.listing_per_market)
    return published


def _displaced_supersede(published: Variant, *, per_market: bool) -> None:
    """A variant that replaced the source image took the one place on the listing that an earlier variant of
    the same image had replaced too: that one no longer shows, so it is superseded, not left "published".
    A sibling added as an image of its own stays on the listing and stays published."""
    displaced = Variant.objects.filter(source_image_id=published.source_image_id, state=VariantState.PUBLISHED)
    if per_market:
        displaced = displaced.filter(market_id=published.market_id)
    displaced = displaced.exclude(pk=published.pk).exclude(publish_record__mode=PublishRecord.Mode.ADD)
    for sibling_id in displaced.values_list("pk", flat=True):
        variant_transition(variant_id=sibling_id, to=VariantState.SUPERSEDED, actor=PUBLISH_ACTOR,
                           expected_from=VariantState.PUBLISHED,
                           reason=f"variant {published.pk} replaced the same source image on the listing")


def variant_fail_publishing(*, variant_id: int, reason: str) -> Variant:
    return variant_transition(variant_id=variant_id, to=VariantState.FAILED, actor=PUBLISH_ACTOR, reason=reason,
                              expected_from=VariantState.PUBLISHING)


def variant_revert(*, variant_id: int, actor: str) -> Variant:
    """Take a published variant off the listing (the original image is restored), then supersede it."""
    variant = Variant.objects.select_related("shop", "source_image__original").get(pk=variant_id)
    if variant.state != VariantState.PUBLISHED:
        raise IllegalTransition(variant_id, variant.state, VariantState.SUPERSEDED, VariantState.PUBLISHED)
    connector_for(variant.shop).revert_variant(variant)
    return variant_transition(variant_id=variant_id, to=VariantState.SUPERSEDED, actor=actor,
                              reason="reverted: taken off the listing, the original image restored",
                              expected_from=VariantState.PUBLISHED)


def variant_publish_request(*, variant_id: int, actor: str) -> Variant:
    """The merchant publishes an approved variant: approved -> publishing now, the store call in a task."""
    from vitrine.connectors.tasks import publish_variant

    with transaction.atomic():
        current = Variant.objects.select_for_update().get(pk=variant_id)
        if current.state != VariantState.APPROVED:
            raise VariantActionRefused(f"variant {variant_id} is {current.state}; only an approved variant can be "
                                       "published", code="not_approved")
        variant = variant_transition(variant_id=variant_id, to=VariantState.PUBLISHING, actor=actor,
                                     reason="publish requested", expected_from=VariantState.APPROVED)
        task_enqueue(publish_variant, args=[variant_id])
    return variant


def variant_revert_request(*, variant_id: int, actor: str) -> Variant:
    """The merchant takes a published variant off the listing; the store call runs in a task."""
    with transaction.atomic():
        variant = Variant.objects.select_for_update().get(pk=variant_id)
        if variant.state != VariantState.PUBLISHED:
            raise IllegalTransition(variant_id, variant.state, VariantState.SUPERSEDED, VariantState.PUBLISHED)
        events.emit(events.VARIANT_REVERT_REQUESTED, {"variant_id": variant_id, "actor": actor}, shop=variant.shop)
    return variant


def publish_on_approve(shop: Shop) -> bool:
    """Whether approval publishes at once (the default) or waits for the merchant to publish."""
    return bool(shop.settings.get("publish_on_approve", True))


# --- redaction ------------------------------------------------------------------------------------
def inbox_purge(*, provider: str, shop_domain: str, keep_topics: tuple[str, ...] = ()) -> None:
    """Delete a redacted shop's deliveries (they name it by domain, not by row, so no cascade reaches them).

    Rows of ``keep_topics`` (e.g. the redaction request itself) stay, emptied, as the record that the
    request was received and acted upon. Credentials and the publish ledger go with the shop row.
    """
    inbox = InboxMessage.objects.filter(provider=provider, shop_domain=shop_domain)
    inbox.exclude(topic__in=keep_topics).delete()
    inbox.update(payload={})
