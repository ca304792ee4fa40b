"""Taobao writes: seller authorisation and tokens, catalogue sync by modified-time windows, TMC intake."""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from vitrine.connectors.errors import ApiUnauthorized
from vitrine.connectors.models import Credential, InboxMessage
from vitrine.connectors.services import (
    credential_revoke,
    credential_store,
    inbox_record,
    oauth_state_consume,
    oauth_state_issue,
)
from vitrine.connectors.taobao import oauth, selectors
from vitrine.connectors.taobao.api import TmcMessage, TmcUnreadable, TopApi
from vitrine.connectors.taobao.client import TopClient
from vitrine.connectors.taobao.connector import PROVIDER, TaobaoConnector
from vitrine.platform import catalog as platform_catalog
from vitrine.platform import events
from vitrine.platform.models import Shop, ShopMembership, SyncRun
from vitrine.platform.outbox import task_enqueue
from vitrine.platform.selectors import sync_last_succeeded

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

logger = logging.getLogger(__name__)

ITEM_TOPICS = ("taobao_item_ItemAdd", "taobao_item_ItemUpdate", "taobao_item_ItemDelete")
TOPIC_EVENTS = {
    "taobao_item_ItemAdd": events.CATALOG_PRODUCT_CHANGED,
    "taobao_item_ItemUpdate": events.CATALOG_PRODUCT_CHANGED,
    "taobao_item_ItemDelete": events.CATALOG_PRODUCT_DELETED,
}


class AuthorisationFailed(ApiUnauthorized):
    """A seller authorisation callback that cannot be accepted (state, refusal, code)."""


# --- seller authorisation -------------------------------------------------------------------------
def callback_url() -> str:
    return settings.APP_URL.rstrip("/") + reverse("connectors:taobao-callback")


def oauth_start(*, user: AbstractBaseUser) -> str:
    """A fresh single-use state for ``user``; returns the address to send the seller to."""
    nonce = oauth_state_issue(provider=PROVIDER, user=user)
    return oauth.authorize_url(state=nonce, redirect_uri=callback_url())


def oauth_complete(*, user: AbstractBaseUser, state: str, code: str = "", error: str = "",
                   error_description: str = "") -> Shop:
    """Accept the callback: use up the state (issued to this user, within the hour), trade the code for
    tokens, then create or reactivate the seller's shop with the tokens encrypted at rest."""
    if not oauth_state_consume(provider=PROVIDER, nonce=state, user=user):
        raise AuthorisationFailed("the authorisation state is unknown, expired, already used or not yours; "
                                  "start the connection again", code="invalid_state")
    if error:
        refusal = f"{error} {error_description}".strip()
        raise AuthorisationFailed(f"the seller did not authorise the app: {refusal}", code=error)
    if not code:
        raise AuthorisationFailed("the callback carries no authorisation code", code="missing_code")
    tokens = oauth.token_for_code(code=code, redirect_uri=callback_url())
    return shop_connect(user=user, tokens=tokens)


def shop_connect(*, user: AbstractBaseUser, tokens: oauth.TokenSet) -> Shop:
    now = timezone.now()
    with transaction.atomic():
        shop, created = Shop.objects.select_for_update().get_or_create(
            provider=PROVIDER, external_id=tokens.user_id,
            defaults={"name": tokens.user_nick or tokens.user_id, "installed_at": now},
        )
        reinstalled = not created and not shop.is_installed
        if reinstalled:
            shop.installed_at, shop.uninstalled_at = now, None
        if tokens.user_nick and shop.name != tokens.user_nick:
            shop.name = tokens.user_nick  # sellers may rename themselves; the user id stays
        shop.save(update_fields=["installed_at", "uninstalled_at", "name"])
        credential_store(shop=shop, access_token=tokens.access_token, scope="",
                         access_expires_at=tokens.access_expires_at, refresh_token=tokens.refresh_token,
                         refresh_expires_at=tokens.refresh_expires_at)
        ShopMembership.objects.get_or_create(user=user, shop=shop,
                                             defaults={"role": ShopMembership.Role.OWNER})
        if created or reinstalled:
            events.emit(events.SHOP_INSTALLED, {"shop_id": shop.pk, "reinstalled": reinstalled}, shop=shop)
    return shop


def _reauthorise_hint(shop: Shop) -> str:
    return f"the seller {shop.name or shop.external_id} must authorise the app again at " \
           f"{settings.APP_URL.rstrip('/')}{reverse('connectors:taobao-authorize')}"


def credential_session(*, shop: Shop) -> tuple[str, datetime | None]:
    """The seller's session key and until when it is good; refreshed first when it expires soon."""
    credential = Credential.objects.filter(shop=shop).first()
    if credential is None or not credential.is_usable:
        raise ApiUnauthorized(f"shop {shop} has no usable Taobao authorisation; {_reauthorise_hint(shop)}")
    margin = timedelta(seconds=settings.TAOBAO_TOKEN_REFRESH_MARGIN)
    expires = credential.access_expires_at
    if expires is not None and expires - margin <= timezone.now():
        return credential_refresh(shop=shop, rejected_token=None)
    return credential.access_token, expires


def credential_refresh(*, shop: Shop, rejected_token: str | None) -> tuple[str, datetime | None]:
    """Refresh the seller's session under a row lock, so concurrent workers refresh once between them.

    ``rejected_token``: the token the gateway just refused (or None when refreshing ahead of expiry). A
    worker that finds a different, fresh token already stored uses it. Once the refresh token's own
    lifetime (``re_expires_in``) has passed, only the seller can restore access.
    """
    refused: ApiUnauthorized | None = None
    margin = timedelta(seconds=settings.TAOBAO_TOKEN_REFRESH_MARGIN)
    now = timezone.now()
    with transaction.atomic():
        credential = Credential.objects.select_for_update().filter(shop=shop).first()
        if credential is None or not credential.is_usable:
            raise ApiUnauthorized(f"shop {shop} has no usable Taobao authorisation; "
                                  f"{_reauthorise_hint(shop)}")
        expires = credential.access_expires_at
        renewed_meanwhile = rejected_token is not None and credential.access_token != rejected_token
        if renewed_meanwhile and (expires is None or expires - margin > now):
            return credential.access_token, expires
        refresh_expires = credential.refresh_expires_at
        if not credential.refresh_token or (refresh_expires is not None and refresh_expires <= now):
            when = f" on {refresh_expires:%Y-%m-%d %H:%M} UTC" if refresh_expires else ""
            raise ApiUnauthorized(f"the Taobao authorisation of shop {shop} expired{when} and cannot be "
                                  f"refreshed; {_reauthorise_hint(shop)}", code="refresh_expired")
        try:
            tokens = oauth.token_refresh(refresh_token=credential.refresh_token)
        except ApiUnauthorized as exc:
            credential_revoke(shop=shop)
            refused = ApiUnauthorized(f"Taobao refused to refresh the session of shop {shop} "
                                      f"({exc.message}); {_reauthorise_hint(shop)}", code=exc.code)
        else:
            credential_store(shop=shop, access_token=tokens.access_token, scope=credential.scope,
                             access_expires_at=tokens.access_expires_at, refresh_token=tokens.refresh_token,
                             refresh_expires_at=tokens.refresh_expires_at)
            return tokens.access_token, tokens.access_expires_at
    assert refused is not None
    raise refused


def shop_install_complete(*, shop_id: int) -> None:
    """After authorisation: subscribe the seller to item messages, then read the whole catalogue."""
    from vitrine.connectors.taobao.tasks import sync_shop

    shop = Shop.objects.get(pk=shop_id)
    TaobaoConnector(shop).api.tmc_user_permit(ITEM_TOPICS)
    task_enqueue(sync_shop, args=[shop_id, True])


# --- catalogue ------------------------------------------------------------------------------------
def catalog_sync(*, shop_id: int, full: bool) -> SyncRun:
    """Read the on-sale items modified since the last sync (or all of them) window by window through the
    kernel's sync driver. A full read also checks the products it did not list: those Taobao no longer has
    are marked deleted (a missed ItemDelete message); those merely off the shelf are left alone."""
    shop = Shop.objects.get(pk=shop_id)
    last = None if full else sync_last_succeeded(shop=shop)
    since = None if last is None else last.started_at - timedelta(seconds=settings.TAOBAO_SYNC_OVERLAP)
    return platform_catalog.catalog_sync(shop=shop, since=since, connector=TaobaoConnector(shop))


# --- TMC messages ---------------------------------------------------------------------------------
@dataclass
class TmcPollOutcome:
    consumed: int = 0
    stored: int = 0
    repeats: int = 0
    rejected: int = 0
    confirmed: int = 0


def app_api() -> TopApi:
    """The app's own view of TOP (no seller session): what TMC calls use."""
    return TopApi(TopClient())


def tmc_poll(*, api: TopApi | None = None) -> TmcPollOutcome:
    """Pull item messages for every seller of the app, store each in the inbox with its platform event in one
    transaction, and only then confirm them. A message whose storing failed is not confirmed: TMC delivers
    it again, and the inbox's unique delivery id makes a repeat harmless."""
    if api is None:
        api = app_api()
        try:
            return tmc_poll(api=api)
        finally:
            api.client.close()
    outcome = TmcPollOutcome()
    for _ in range(settings.TAOBAO_TMC_MAX_BATCHES):
        messages = api.tmc_consume(quantity=settings.TAOBAO_TMC_BATCH, group_name=settings.TAOBAO_TMC_GROUP)
        if not messages:
            break
        outcome.consumed += len(messages)
        handled: list[str] = []
        for message in messages:
            if isinstance(message, TmcUnreadable):
                # A poison message is stored as rejected, with why, and confirmed: TMC would otherwise
                # redeliver it (and with it the rest of the batch) on every poll.
                tmc_message_reject(message=message)
                outcome.rejected += 1
                if message.id:
                    handled.append(message.id)
                continue
            try:
                created = tmc_message_store(message=message)
            except Exception:  # one bad message must not hold back the others' confirmation
                logger.exception("TMC message %s (%s) could not be stored", message.id, message.topic)
                continue
            handled.append(message.id)
            if created:
                outcome.stored += 1
            else:
                outcome.repeats += 1
        if handled:
            api.tmc_confirm(handled, group_name=settings.TAOBAO_TMC_GROUP)
            outcome.confirmed += len(handled)
    return outcome


def tmc_message_store(*, message: TmcMessage) -> bool:
    """Store one message and emit its event, atomically; False for a message stored before (a redelivery)."""
    with transaction.atomic():
        inbox, created = inbox_record(provider=PROVIDER, delivery_id=message.id, topic=message.topic,
                                      shop_domain=message.user_id, payload=message.raw,
                                      event_id=str(message.content.get("num_iid") or ""),
                                      triggered_at=message.pub_time)
        if not created:
            return False
        inbox.outcome = _tmc_message_act(message)[:255]
        inbox.processed_at = timezone.now()
        inbox.attempts = 1
        inbox.save(update_fields=["outcome", "processed_at", "attempts"])
    return True


def tmc_message_reject(*, message: TmcUnreadable) -> InboxMessage:
    """Keep an unreadable message in the inbox, processed, with ``rejected: <reason>`` as its outcome."""
    raw = message.raw
    delivery_id = message.id or "unreadable:" + hashlib.sha256(
        json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()[:40]
    logger.error("TMC message %s rejected: %s", delivery_id, message.reason)
    with transaction.atomic():
        inbox, created = inbox_record(provider=PROVIDER, delivery_id=delivery_id,
                                      topic=str(raw.get("topic") or "unknown")[:100],
                                      shop_domain=str(raw.get("user_id") or "")[:255],
                                      payload=json.loads(json.dumps(raw, default=str)))
        if created:
            inbox.outcome = f"rejected: {message.reason}"[:255]
            inbox.last_error = message.reason
            inbox.processed_at = timezone.now()
            inbox.attempts = 1
            inbox.save(update_fields=["outcome", "last_error", "processed_at", "attempts"])
    return inbox


def _tmc_message_act(message: TmcMessage) -> str:
    shop = selectors.shop_for_seller(message.user_id)
    if shop is None or not shop.is_installed:
        return f"ignored: no installed shop for seller {message.user_id}"
    event_type = TOPIC_EVENTS.get(message.topic)
    if event_type is None:
        return f"ignored: no handling for topic {message.topic}"
    num_iid = message.content.get("num_iid")
    if not num_iid:
        return "ignored: the message names no item (num_iid)"
    events.emit(event_type, {"external_id": str(num_iid), "topic": message.topic}, shop=shop)
    return "item deleted" if event_type == events.CATALOG_PRODUCT_DELETED else "item changed: sync requested"


def shops_sync() -> int:
    """The periodic backstop for missed messages: an incremental sync of every connected shop."""
    from vitrine.connectors.taobao.tasks import sync_shop

    shop_ids = selectors.installed_shop_ids()
    for shop_id in shop_ids:
        task_enqueue(sync_shop, args=[shop_id, False])
    return len(shop_ids)
