"""Publishing approved variants to Taobao: AIGC-declared uploads, crashes between steps, lost answers, the
3 MB limit, and reverting to the original picture."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.fakes.taobao.server import PICTURE_MAX_BYTES, Fault
from vitrine.connectors import services as connector_services
from vitrine.connectors.errors import ApiBadRequest, ApiUnavailable
from vitrine.connectors.http import ResponseLost
from vitrine.connectors.models import PublishRecord
from vitrine.connectors.taobao.client import UploadFile
from vitrine.connectors.taobao.connector import TaobaoConnector
from vitrine.connectors.taobao.pictures import MIN_SIDE, PictureTooLarge, picture_fit
from vitrine.connectors.taobao.publishing import Publisher
from vitrine.platform import events
from vitrine.platform.lifecycle import IllegalTransition, VariantState
from vitrine.platform.models import Event, Variant

pytest_plugins = ["tests.fakes.taobao.fixtures"]

QNAIGC = "taobao.picture.qnaigc.upload"
DISCLOSURE = b"compositeWithTrainedAlgorithmicMedia"


class Crash(Exception):
    """The worker dies here."""


def item_of(fake_top, synced_item):
    return fake_top.items[int(synced_item.external_id)]


def ours_on_item(fake_top, item, variant):
    record = PublishRecord.objects.get(variant=variant)
    return [image for image in item.images if image.path == record.checkpoint["picture_path"]]


def assert_published_once(fake_top, taobao_seller, synced_item, variant, *, tool="scene_img"):
    variant.refresh_from_db()
    assert variant.state == VariantState.PUBLISHED
    pictures = fake_top.pictures_of(taobao_seller, api=QNAIGC)
    assert len(pictures) == 1, "exactly one new picture in picture space"
    assert not fake_top.pictures_of(taobao_seller, api="taobao.picture.upload")
    picture = pictures[0]
    assert (picture.aigc, picture.tool) == (True, tool)
    assert variant.remote_media_id == str(picture.picture_id)
    item = item_of(fake_top, synced_item)
    assert len(item.images) == 3 and len(ours_on_item(fake_top, item, variant)) == 1
    assert Event.objects.filter(type=events.VARIANT_PUBLISHED, payload__variant_id=variant.pk).count() == 1
    return picture


@pytest.mark.parametrize(("kind", "tool"), [("model_swap", "model_img"), ("background", "scene_img"),
                                            ("text_localize", "change_img")])
def test_publish_declares_the_picture_ai_made_with_the_tool_of_the_edit(
        fake_top, taobao_seller, synced_item, taobao_variant, events_held, kind, tool):
    variant = taobao_variant(kind=kind)
    connector_services.variant_publish(variant_id=variant.pk)
    picture = assert_published_once(fake_top, taobao_seller, synced_item, variant, tool=tool)
    assert DISCLOSURE in picture.data  # the file itself carries the IPTC digital source type too
    record = PublishRecord.objects.get(variant=variant)
    assert record.step == PublishRecord.Step.DONE and record.provider == "taobao"
    assert record.checkpoint["aigc"] is True and record.checkpoint["upload_api"] == QNAIGC
    added = ours_on_item(fake_top, item_of(fake_top, synced_item), variant)[0]
    assert added.position == 2  # the next free main-image slot; the seller's photos stay where they were


def _crash_after(monkeypatch, point: str) -> None:
    if point == "prepared":
        record = Publisher._record

        def crashing_record(self, variant):
            record(self, variant)
            raise Crash(point)

        monkeypatch.setattr(Publisher, "_record", crashing_record)
    elif point == "upload_started":
        note = Publisher._note

        def crashing_note(self, record, **facts):
            note(self, record, **facts)
            if facts.get("upload_started"):
                raise Crash(point)

        monkeypatch.setattr(Publisher, "_note", crashing_note)
    else:
        advance = Publisher._advance

        def crashing_advance(self, record, step, **fields):
            advance(self, record, step, **fields)
            if step == point:
                raise Crash(point)

        monkeypatch.setattr(Publisher, "_advance", crashing_advance)


@pytest.mark.parametrize("point", ["prepared", "upload_started", "uploaded", "attached", "done"])
def test_a_crash_after_any_step_then_a_retry_publishes_exactly_once(
        fake_top, taobao_seller, synced_item, taobao_variant, events_held, monkeypatch, point):
    variant = taobao_variant()
    with monkeypatch.context() as patch:
        _crash_after(patch, point)
        with pytest.raises(Crash):
            connector_services.variant_publish(variant_id=variant.pk)
    assert Variant.objects.get(pk=variant.pk).state == VariantState.PUBLISHING

    connector_services.variant_publish(variant_id=variant.pk)
    connector_services.variant_publish(variant_id=variant.pk)  # a duplicate task finds it published

    assert_published_once(fake_top, taobao_seller, synced_item, variant)


@pytest.mark.parametrize("method", [QNAIGC, "taobao.item.joint.img"])
def test_a_lost_answer_is_found_again_instead_of_repeated(
        fake_top, taobao_seller, synced_item, taobao_variant, events_held, method):
    variant = taobao_variant()
    fake_top.faults.append(Fault(method, "drop_after"))
    with pytest.raises(ResponseLost):
        connector_services.variant_publish(variant_id=variant.pk)
    assert fake_top.stats.calls[method] == 1  # it took effect on Taobao; we just never heard back

    connector_services.variant_publish(variant_id=variant.pk)

    assert fake_top.stats.calls[method] == 1
    assert_published_once(fake_top, taobao_seller, synced_item, variant)


@pytest.mark.parametrize("method", [QNAIGC, "taobao.item.joint.img"])
def test_a_platform_error_on_a_write_is_not_resent_by_the_client_but_by_the_publish_retry(
        fake_top, taobao_seller, synced_item, taobao_variant, events_held, method):
    variant = taobao_variant()
    fake_top.faults.append(Fault(method, "isp"))
    with pytest.raises(ApiUnavailable, match=r"isp.top-remote-connection-timeout"):
        connector_services.variant_publish(variant_id=variant.pk)
    assert fake_top.stats.calls[method] == 0
    connector_services.variant_publish(variant_id=variant.pk)
    assert_published_once(fake_top, taobao_seller, synced_item, variant)


def test_without_the_aigc_upload_permission_it_falls_back_to_picture_upload(
        fake_top, taobao_seller, synced_item, taobao_variant, events_held):
    fake_top.deny_aigc = True
    variant = taobao_variant()
    connector_services.variant_publish(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.state == VariantState.PUBLISHED
    (picture,) = fake_top.pictures_of(taobao_seller, api="taobao.picture.upload")
    assert picture.aigc is None and DISCLOSURE in picture.data
    record = PublishRecord.objects.get(variant=variant)
    assert record.checkpoint["aigc"] is False and record.checkpoint["aigc_refused"] is True


def test_an_item_with_five_images_fails_the_variant_with_the_reason(
        fake_top, taobao_seller, synced_item, taobao_variant, events_held):
    item = item_of(fake_top, synced_item)
    for seed in range(3):
        fake_top.add_item_photo(item.num_iid, b"\x89PNG\r\n\x1a\n" + bytes([seed]) * 32)
    variant = taobao_variant()
    connector_services.variant_publish(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.state == VariantState.FAILED
    assert "already has 5 main images" in variant.failure_reason


def _noise_png(width: int, height: int, seed: int = 0) -> bytes:
    pixels = np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


def test_the_gateway_refuses_a_picture_over_3_mb(taobao_shop, fake_top):
    too_big = b"\x89PNG\r\n\x1a\n" + b"0" * PICTURE_MAX_BYTES
    with pytest.raises(ApiBadRequest, match=r"picture-size-exceeded"):
        TaobaoConnector(taobao_shop).api.picture_upload(file=UploadFile("big.png", too_big, "image/png"),
                                                       title="big.png", category_id=0)


def test_fitting_steps_down_quality_then_size():
    data = _noise_png(900, 900, seed=4)
    fitted, content_type = picture_fit(data, "image/png", max_bytes=len(data))
    assert (fitted, content_type) == (data, "image/png")  # small enough: untouched
    # Random noise barely compresses: even quality 70 is over 300 kB at 900 px, so the size must come down.
    smaller, content_type = picture_fit(data, "image/png", max_bytes=300_000)
    assert content_type == "image/jpeg" and len(smaller) <= 300_000
    with Image.open(io.BytesIO(smaller)) as image:
        assert MIN_SIDE <= image.width < 900
    with pytest.raises(PictureTooLarge, match=rf"smaller than {MIN_SIDE} px a side is too small"):
        picture_fit(data, "image/png", max_bytes=20_000)


def test_revert_in_replace_mode_restores_the_original_picture(
        fake_top, taobao_seller, synced_item, taobao_variant, events_held, taobao_shop):
    taobao_shop.publish_mode = "replace"
    taobao_shop.save()
    item = item_of(fake_top, synced_item)
    original = item.images[0]
    original_id, original_path, original_position = original.id, original.path, original.position
    variant = taobao_variant()
    connector_services.variant_publish(variant_id=variant.pk)
    variant.refresh_from_db()
    assert variant.state == VariantState.PUBLISHED
    assert len(item.images) == 2
    assert (original.id, original.position) == (original_id, original_position) and original.path != original_path

    connector_services.variant_revert(variant_id=variant.pk, actor="user:1")

    assert (original.id, original.path, original.position) == (original_id, original_path, original_position)
    assert len(item.images) == 2
    variant.refresh_from_db()
    assert variant.state == VariantState.SUPERSEDED
    assert PublishRecord.objects.get(variant=variant).step == PublishRecord.Step.REVERTED


def test_revert_in_add_mode_takes_our_image_off_and_leaves_the_sellers(
        fake_top, taobao_seller, synced_item, taobao_variant, events_held):
    item = item_of(fake_top, synced_item)
    before = [(image.id, image.path, image.position) for image in item.images]
    variant = taobao_variant()
    connector_services.variant_publish(variant_id=variant.pk)
    assert len(item.images) == 3
    connector_services.variant_revert(variant_id=variant.pk, actor="user:1")
    assert [(image.id, image.path, image.position) for image in item.images] == before
    with pytest.raises(IllegalTransition):
        connector_services.variant_revert(variant_id=variant.pk, actor="user:1")
