"""Pytest fixtures around the fake TOP gateway: a started fake wired into the settings, a seller, and the
seller's connected shop. Import them into a test module to use them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import make_variant, png_bytes
from tests.fakes.taobao.server import ITEM_TOPICS, FakeTop
from tests.fakes.taobao.store import Seller
from vitrine.connectors.services import credential_store
from vitrine.platform import events
from vitrine.platform.catalog import product_sync
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Event, Market, Product, Shop, Variant
from vitrine.platform.services import blob_put, event_deliver


@pytest.fixture
def fake_top(settings) -> Iterator[FakeTop]:  # type: ignore[no-untyped-def]
    fake = FakeTop().start()
    settings.TAOBAO_APP_KEY = fake.app_key
    settings.TAOBAO_APP_SECRET = fake.app_secret
    settings.TAOBAO_GATEWAY_URL = fake.gateway_url
    settings.TAOBAO_OAUTH_URL = fake.oauth_url
    settings.TAOBAO_MAX_ATTEMPTS = 3
    yield fake
    fake.stop()


@pytest.fixture
def taobao_seller(fake_top: FakeTop) -> Seller:
    return fake_top.add_seller("vitrine旗舰店")


def connect_shop(fake: FakeTop, taobao_seller: Seller) -> Shop:
    """The seller's shop as a finished authorisation leaves it: tokens stored, item messages permitted."""
    tokens = fake.grant(taobao_seller)
    now = timezone.now()
    shop = Shop.objects.create(provider="taobao", external_id=str(taobao_seller.user_id), name=taobao_seller.nick,
                               installed_at=now)
    Market.objects.create(shop=shop, locale="zh-CN", region="CN", name="China")
    credential_store(shop=shop, access_token=tokens["access_token"], scope="",
                     access_expires_at=now + timedelta(seconds=tokens["expires_in"]),
                     refresh_token=tokens["refresh_token"],
                     refresh_expires_at=now + timedelta(seconds=tokens["re_expires_in"]))
    fake.permitted[taobao_seller.user_id] = set(ITEM_TOPICS)
    return shop


@pytest.fixture
def taobao_shop(db, fake_top: FakeTop, taobao_seller: Seller) -> Shop:  # type: ignore[no-untyped-def]
    return connect_shop(fake_top, taobao_seller)


@pytest.fixture
def events_held(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Events are recorded but not handed to the broker: a test delivers the ones it wants, in order."""
    held: list[int] = []
    monkeypatch.setattr(events, "dispatch", lambda event_id: held.append(event_id) or True)
    return held


@pytest.fixture
def deliver_events(django_capture_on_commit_callbacks):  # type: ignore[no-untyped-def]
    """Deliver the undelivered events of the given types (oldest first, including those their handlers
    emit) and run what the handlers queue on commit; returns how many were delivered."""

    def deliver(*types: str) -> int:
        delivered = 0
        while True:
            pending = Event.objects.filter(type__in=types, delivered_at__isnull=True).order_by("pk").first()
            if pending is None:
                return delivered
            with django_capture_on_commit_callbacks(execute=True):
                event_deliver(event_id=pending.pk)
            delivered += 1

    return deliver


@pytest.fixture
def synced_item(fake_top: FakeTop, taobao_seller: Seller, taobao_shop: Shop) -> Product:
    """An item with two photos in the fake, synced into our catalogue."""
    photos = [png_bytes(96, 96, seed=1), png_bytes(96, 96, seed=2)]
    item = fake_top.add_item(taobao_seller, title="Silk dress", images=photos)
    product = product_sync(shop_id=taobao_shop.pk, external_id=str(item.num_iid))
    assert product is not None
    return product


@pytest.fixture
def taobao_variant(synced_item: Product, taobao_shop: Shop) -> Callable[..., Variant]:
    """Make an approved variant of the synced item's first photo, with a rendered output."""

    def make(*, kind: str = "background", seed: int = 7, output: bytes | None = None) -> Variant:
        source = synced_item.images.order_by("position").first()
        variant = make_variant(taobao_shop, source_image=source, seed=seed, kind=kind)
        variant.output = blob_put(data=output or png_bytes(96, 96, seed=100 + seed), content_type="image/png")
        variant.alt_text = "Silk dress on white"
        variant.state = VariantState.APPROVED
        variant.save()
        return variant

    return make
