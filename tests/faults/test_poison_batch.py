"""Scenario 6: a poison TMC message and an image that answers 404 in an otherwise good batch: the rest of
the batch goes through, the poison is confirmed and kept as rejected, the broken image recorded."""

from __future__ import annotations

import pytest

from tests.factories import png_bytes
from tests.faults.conftest import wait_for
from vitrine.connectors.models import InboxMessage
from vitrine.platform.models import FetchStatus, Product, SourceImage

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]


def test_poison_message_and_missing_image_stop_nothing_else(stack, fake_top, taobao_seller, taobao_shop, settings):
    good = [fake_top.add_item(taobao_seller, title=f"Blouse {n}", images=[png_bytes(64, 64, seed=n)], announce=True)
            for n in range(3)]
    poison = fake_top.announce_malformed(good[0], pub_time="not a time")
    broken = fake_top.add_item(taobao_seller, title="Lamp", images=[png_bytes(64, 64, seed=9),
                                                                    png_bytes(64, 64, seed=10)], announce=True)
    gone = broken.images[0].path
    fake_top.pictures = {key: picture for key, picture in fake_top.pictures.items() if picture.path != gone}

    taobao = {"TAOBAO_APP_KEY": settings.TAOBAO_APP_KEY, "TAOBAO_APP_SECRET": settings.TAOBAO_APP_SECRET,
              "TAOBAO_GATEWAY_URL": settings.TAOBAO_GATEWAY_URL, "TAOBAO_OAUTH_URL": settings.TAOBAO_OAUTH_URL,
              "TAOBAO_TMC_POLL_INTERVAL": "2", "TAOBAO_MAX_ATTEMPTS": "2"}
    stack("worker", **taobao)
    stack("beat", **taobao)

    items = [str(item.num_iid) for item in [*good, broken]]
    wait_for(lambda: Product.objects.filter(shop=taobao_shop, external_id__in=items).count() == len(items),
             timeout=200, what="every good item to be synced")
    wait_for(lambda: not fake_top.pending_messages(), timeout=60, what="the whole batch to be confirmed")

    rejected = InboxMessage.objects.get(provider="taobao", delivery_id=str(poison.id))
    assert rejected.outcome.startswith("rejected:") and "not a time" in rejected.outcome
    lamp = Product.objects.get(shop=taobao_shop, external_id=str(broken.num_iid))
    statuses = dict(SourceImage.objects.filter(product=lamp).values_list("remote_id", "fetch_status"))
    assert statuses == {str(broken.images[0].id): FetchStatus.FAILED, str(broken.images[1].id): FetchStatus.OK}
    assert "404" in SourceImage.objects.get(product=lamp, remote_id=str(broken.images[0].id)).fetch_error
