"""Shopify writes: install and tokens, webhook intake and processing, catalogue sync, sweeps."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from vitrine.connectors.errors import ApiUnauthorized
from vitrine.connectors.models import Credential, InboxMessage, OAuthState
from vitrine.connectors.services import (
    credential_revoke,
    credential_store,
    inbox_purge,
    inbox_record,
    oauth_state_consume,
    oauth_state_issue,
)
from vitrine.connectors.shopify import auth, documents, selectors
from vitrine.connectors.shopify.client import AdminClient, user_errors_raise
from vitrine.connectors.shopify.config import InvalidShopDomain, shop_domain_clean
from vitrine.connectors.shopify.webhooks import COMPLIANCE_TOPICS, SUBSCRIBED_TOPICS, WebhookDelivery
from vitrine.platform import catalog as platform_catalog
from vitrine.platform import events, retention
from vitrine.platform.logging import log_context
from vitrine.platform.models import Shop, SyncRun
from vitrine.platform.outbox import task_enqueue
from vitrine.platform.selectors import sync_last_succeeded

logger = logging.getLogger(__name__)

PROVIDER = "shopify"
# Refresh an access token this long before it expires, so no call goes out with a token about to die.
REFRESH_MARGIN = timedelta(minutes=5)
# Incremental syncs start this far before the last good one (clock skew; Shopify filters by the second).
SYNC_OVERLAP = timedelta(minutes=5)
# A full read (which also finds products deleted without a webhook) at least this often.
FULL_SYNC_EVERY = timedelta(days=1)
INBOX_REDISPATCH_AFTER = timedelta(minutes=10)


# --- tokens ---------------------------------------------------------------------------------------
def _needs_refresh(credential: Credential) -> bool:
    expires = credential.access_expires_at
    return expires is not None and expires - REFRESH_MARGIN <= timezone.now()


def access_token(*, shop: Shop, force_refresh: bool = False) -> str:
    """A live access token for ``shop``, refreshed first when it expires soon (or Shopify refused it)."""
    credential = Credential.objects.filter(shop=shop).first()
    if credential is None or not credential.is_usable:
        raise ApiUnauthorized(f"{shop.external_id} has no usable Shopify token; open the app in the Shopify "
                              f"admin to reconnect it")
    if not force_refresh and not _needs_refresh(credential):
        return credential.access_token
    return credential_refresh(shop=shop, used_token=credential.access_token).access_token


def credential_refresh(*, shop: Shop, used_token: str) -> Credential:
    """Refresh the token pair under a row lock: Shopify rotates the refresh token on every refresh, so two
    workers refreshing at once would leave one of them with a dead token. The second one to get the lock
    finds the pair already renewed and uses it."""
    refused: ApiUnauthorized | None = None
    with transaction.atomic():
        credential = Credential.objects.select_for_update().get(shop=shop)
        if credential.access_token and credential.access_token != used_token and not _needs_refresh(credential):
            return credential
        if not credential.refresh_token:
            raise ApiUnauthorized(f"the token of {shop.external_id} cannot be refreshed; reconnect the app")
        try:
            tokens = auth.token_refresh(shop_domain=shop.external_id, refresh_token=credential.refresh_token)
        except ApiUnauthorized as exc:
            credential_revoke(shop=shop)
            refused = exc
        else:
            credential = _credential_save(shop, tokens)
    if refused is not None:
        raise refused
    return credential


def _credential_save(shop: Shop, tokens: auth.TokenSet) -> Credential:
    return credential_store(shop=shop, access_token=tokens.access_token, scope=tokens.scope,
                            access_expires_at=tokens.access_expires_at, refresh_token=tokens.refresh_token,
                            refresh_expires_at=tokens.refresh_expires_at)


def admin_client(shop: Shop) -> AdminClient:
    return AdminClient(
        shop_domain=shop.external_id,
        access_token=lambda: access_token(shop=shop),
        on_unauthorized=lambda: access_token(shop=shop, force_refresh=True),
    )


# --- install --------------------------------------------------------------------------------------
def shop_install(*, shop_domain: str, tokens: auth.TokenSet) -> Shop:
    """Create or reactivate the shop, store its tokens, announce it; webhook set-up follows on commit."""
    from vitrine.connectors.shopify.tasks import complete_install

    now = timezone.now()
    with transaction.atomic():
        shop, created = Shop.objects.select_for_update().get_or_create(
            provider=PROVIDER, external_id=shop_domain,
            defaults={"name": shop_domain.removesuffix(".myshopify.com"), "installed_at": now},
        )
        reinstalled = not created and not shop.is_installed
        if reinstalled:
            shop.installed_at, shop.uninstalled_at = now, None
            shop.save(update_fields=["installed_at", "uninstalled_at"])
        _credential_save(shop, tokens)
        if created or reinstalled:
            events.emit(events.SHOP_INSTALLED, {"shop_id": shop.pk, "reinstalled": reinstalled}, shop=shop)
            shop_id = shop.pk
            task_enqueue(complete_install, args=[shop_id])
    return shop


def install_by_session_token(*, session: auth.SessionToken) -> Shop:
    """Embedded install: exchange the session token only when the shop has no usable token yet."""
    shop = Shop.objects.filter(provider=PROVIDER, external_id=session.shop_domain).first()
    if shop is not None and shop.is_installed:
        credential = Credential.objects.filter(shop=shop).first()
        if credential is not None and credential.is_usable:
            return shop
    return shop_install(shop_domain=session.shop_domain, tokens=auth.token_exchange(session))


def oauth_state_create(*, shop_domain: str) -> str:
    return oauth_state_issue(provider=PROVIDER, shop_domain=shop_domain)


def install_by_oauth_callback(*, query: dict[str, str], session_state: str | None) -> Shop:
    """Non-embedded install: verify the callback (HMAC, timestamp, shop domain, single-use state bound to
    this browser session), then trade the code for tokens."""
    if not auth.oauth_query_hmac_valid(query):
        raise auth.OAuthCallbackInvalid("the callback's HMAC does not match", code="invalid_hmac")
    if not auth.oauth_callback_fresh(query):
        raise auth.OAuthCallbackInvalid("the callback is too old", code="stale_callback")
    try:
        shop_domain = shop_domain_clean(query.get("shop", ""))
    except InvalidShopDomain as exc:
        raise auth.OAuthCallbackInvalid(str(exc), code="invalid_shop") from exc
    state = query.get("state", "")
    if not state or state != session_state or not oauth_state_consume(provider=PROVIDER, nonce=state,
                                                                      shop_domain=shop_domain):
        raise auth.OAuthCallbackInvalid("the state nonce is unknown, expired or used", code="invalid_state")
    tokens = auth.authorization_code_exchange(shop_domain=shop_domain, code=query.get("code", ""))
    return shop_install(shop_domain=shop_domain, tokens=tokens)


def install_complete(*, shop_id: int) -> None:
    """After install: learn the shop's name, subscribe to webhooks, read the catalogue once."""
    from vitrine.connectors.shopify.tasks import sync_catalog

    shop = Shop.objects.get(pk=shop_id)
    client = admin_client(shop)
    info = client.execute(documents.SHOP).get("shop") or {}
    if info.get("name") and info["name"] != shop.name:
        Shop.objects.filter(pk=shop.pk).update(name=info["name"])
    webhooks_register(client=client)
    task_enqueue(sync_catalog, args=[shop_id, True])


def webhook_address() -> str:
    return settings.APP_URL.rstrip("/") + reverse("connectors:shopify-webhooks")


def webhooks_register(*, client: AdminClient) -> list[str]:
    """Subscribe to the topics we handle (skipping those already subscribed); returns the new topics."""
    uri = webhook_address()
    nodes = (client.execute(documents.WEBHOOK_SUBSCRIPTIONS).get("webhookSubscriptions") or {}).get("nodes") or []
    existing = {node["topic"] for node in nodes if node.get("uri") == uri}
    created = []
    for topic in SUBSCRIBED_TOPICS:
        if topic in existing:
            continue
        data = client.execute(documents.WEBHOOK_SUBSCRIPTION_CREATE, {"topic": topic, "uri": uri})
        user_errors_raise(data.get("webhookSubscriptionCreate"), operation=f"webhookSubscriptionCreate {topic}")
        created.append(topic)
    return created


# --- webhooks -------------------------------------------------------------------------------------
def webhook_accept(*, delivery: WebhookDelivery) -> InboxMessage:
    """Store the delivery and hand it to a worker; a repeat of a stored delivery is only acknowledged."""
    from vitrine.connectors.shopify.tasks import process_webhook

    message, created = inbox_record(
        provider=PROVIDER, delivery_id=delivery.webhook_id, topic=delivery.topic,
        shop_domain=delivery.shop_domain, payload=delivery.payload, event_id=delivery.event_id,
        api_version=delivery.api_version, triggered_at=delivery.triggered_at,
    )
    if created:
        message_id = message.pk
        task_enqueue(process_webhook, args=[message_id])
    return message


def webhook_process(*, message_id: int) -> str:
    """Turn one stored delivery into platform events, exactly once; returns what was done."""
    with transaction.atomic():
        message = InboxMessage.objects.select_for_update().get(pk=message_id)
        if message.processed_at is not None:
            return message.outcome
        shop = Shop.objects.filter(provider=PROVIDER, external_id=message.shop_domain).first()
        with log_context(shop_id=shop.pk if shop else None, webhook_id=message.delivery_id):
            handler = _TOPIC_HANDLERS.get(message.topic, _topic_unknown)
            outcome = handler(message, shop)
        message.processed_at = timezone.now()
        message.outcome = outcome[:255]
        message.attempts += 1
        message.save(update_fields=["processed_at", "outcome", "attempts"])
        return message.outcome


def _product_gid(payload: dict[str, Any]) -> str:
    return payload.get("admin_graphql_api_id") or f"gid://shopify/Product/{payload['id']}"


def _installed(shop: Shop | None) -> bool:
    return shop is not None and shop.is_installed


def _topic_product_changed(message: InboxMessage, shop: Shop | None) -> str:
    if not _installed(shop):
        return "ignored: the shop is not installed"
    assert shop is not None
    product_id = _product_gid(message.payload)
    if message.topic == "products/update":
        known = selectors.product_update_known(shop=shop, product_id=product_id, payload=message.payload)
        if known is not None:
            return f"ignored: {known}"
    events.emit(events.CATALOG_PRODUCT_CHANGED, {"external_id": product_id, "topic": message.topic}, shop=shop)
    return "product changed: sync requested"


def _topic_product_deleted(message: InboxMessage, shop: Shop | None) -> str:
    if not _installed(shop):
        return "ignored: the shop is not installed"
    events.emit(events.CATALOG_PRODUCT_DELETED, {"external_id": _product_gid(message.payload)}, shop=shop)
    return "product deleted"


def _topic_app_uninstalled(message: InboxMessage, shop: Shop | None) -> str:
    if shop is None:
        return "ignored: unknown shop"
    credential_revoke(shop=shop)
    # The shop's retention policy decides; Shopify's own shop/redact (48 h later) is honoured regardless.
    delay = retention.purge_delay(shop, longest=timedelta(seconds=settings.SHOPIFY_PURGE_AFTER_UNINSTALL))
    purge_after = timezone.now() + delay
    events.emit(events.SHOP_UNINSTALLED, {"shop_id": shop.pk, "purge_after": purge_after.isoformat()}, shop=shop)
    if not delay:
        events.emit(events.SHOP_REDACT_REQUESTED, {"shop_id": shop.pk, "reason": "the shop's policy: purge on "
                                                   "uninstall"}, shop=shop)
        return "uninstalled: tokens revoked, data purged at once (the shop's retention policy)"
    return f"uninstalled: tokens revoked, data purge due {purge_after:%Y-%m-%d %H:%M} UTC unless reinstalled"


def _topic_bulk_finished(message: InboxMessage, shop: Shop | None) -> str:
    operation_id = message.payload.get("admin_graphql_api_id", "")
    status = str(message.payload.get("status", "")).upper()
    updated = SyncRun.objects.filter(remote_operation_id=operation_id).update(
        remote_operation_status=status)
    return f"bulk operation {status.lower()}" if updated else "ignored: unknown bulk operation"


def _topic_customer_data(message: InboxMessage, shop: Shop | None) -> str:
    # Vitrine reads products and images only; it never stores customer or order data.
    return "acknowledged: no customer data is held"


def _topic_shop_redact(message: InboxMessage, shop: Shop | None) -> str:
    if shop is None:
        return "acknowledged: nothing held for this shop"
    events.emit(events.SHOP_REDACT_REQUESTED, {"shop_id": shop.pk, "reason": "shop/redact"}, shop=shop)
    return "redaction requested: the shop's data and files will be deleted"


def _topic_unknown(message: InboxMessage, shop: Shop | None) -> str:
    return f"ignored: no handling for topic {message.topic}"


_TOPIC_HANDLERS = {
    "products/create": _topic_product_changed,
    "products/update": _topic_product_changed,
    "products/delete": _topic_product_deleted,
    "app/uninstalled": _topic_app_uninstalled,
    "bulk_operations/finish": _topic_bulk_finished,
    "customers/data_request": _topic_customer_data,
    "customers/redact": _topic_customer_data,
    "shop/redact": _topic_shop_redact,
}
def shop_records_purge(*, shop: Shop) -> None:
    """Our Shopify records of a shop being redacted that the shop row's deletion does not cascade to (the
    platform deletes the shop, its catalogue, and with them credentials and the publish ledger)."""
    OAuthState.objects.filter(provider=PROVIDER, shop_domain=shop.external_id).delete()
    inbox_purge(provider=PROVIDER, shop_domain=shop.external_id, keep_topics=COMPLIANCE_TOPICS)


# --- catalogue ------------------------------------------------------------------------------------
def _sync_since(shop: Shop) -> tuple[bool, Any]:
    """(full, since) for the next sync: full when none succeeded lately, else changes since the last one."""
    last = sync_last_succeeded(shop=shop)
    last_full = sync_last_succeeded(shop=shop, full=True)
    if last is None or last_full is None or last_full.started_at < timezone.now() - FULL_SYNC_EVERY:
        return True, None
    return False, last.started_at - SYNC_OVERLAP


def catalog_sync(*, shop_id: int, full: bool | None = None) -> SyncRun:
    """Read the catalogue (all of it, or what changed since the last sync) through the kernel's sync driver.
    Paging for small catalogues, a bulk operation for large ones; a full read also marks products the store
    no longer has as deleted (a missed products/delete webhook)."""
    shop = Shop.objects.get(pk=shop_id)
    auto_full, since = _sync_since(shop)
    full = auto_full if full is None else full
    return platform_catalog.catalog_sync(shop=shop, since=None if full else since)


# --- sweeps ---------------------------------------------------------------------------------------
def shops_reconcile() -> dict[str, int]:
    """The periodic backstop: sync every installed shop, redo stuck inbox deliveries, purge shops whose
    shop/redact never came (stale OAuth states are swept for every store by ``sweep_oauth_states``)."""
    from vitrine.connectors.shopify.tasks import process_webhook, sync_catalog

    now = timezone.now()
    shops = list(Shop.objects.filter(provider=PROVIDER, installed_at__isnull=False, uninstalled_at__isnull=True)
                 .values_list("pk", flat=True))
    for shop_id in shops:
        task_enqueue(sync_catalog, args=[shop_id, None])
    stuck = list(InboxMessage.objects.filter(provider=PROVIDER, processed_at__isnull=True,
                                             received_at__lt=now - INBOX_REDISPATCH_AFTER).values_list("pk", flat=True))
    for message_id in stuck:
        task_enqueue(process_webhook, args=[message_id])
    longest = timedelta(seconds=settings.SHOPIFY_PURGE_AFTER_UNINSTALL)
    uninstalled = Shop.objects.filter(provider=PROVIDER, uninstalled_at__isnull=False)
    overdue = [shop for shop in uninstalled.filter(uninstalled_at__lt=now)
               if shop.uninstalled_at < now - retention.purge_delay(shop, longest=longest)]
    purged = 0
    for shop in overdue:
        events.emit(events.SHOP_REDACT_REQUESTED, {"shop_id": shop.pk, "reason": "uninstalled, no shop/redact"},
                    shop=shop)
        purged += 1
    return {"syncs": len(shops), "redispatched": len(stuck), "purges": purged}
