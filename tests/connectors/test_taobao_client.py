"""The TOP client against the fake gateway: retries, the error taxonomy, token refresh, bad answers."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.fakes.taobao.server import CallLimit, Fault
from vitrine.connectors.errors import (
    ApiBadRequest,
    ApiForbidden,
    ApiNotFound,
    ApiRateLimited,
    ApiUnauthorized,
    ApiUnavailable,
)
from vitrine.connectors.http import ResponseLost
from vitrine.connectors.models import Credential
from vitrine.connectors.taobao.client import UploadFile, error_from_response, response_key
from vitrine.connectors.taobao.connector import TaobaoConnector

pytest_plugins = ["tests.fakes.taobao.fixtures"]

PNG = b"\x89PNG\r\n\x1a\n" + b"0" * 64


def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def item(fake_top, taobao_seller):
    return fake_top.add_item(taobao_seller, title="Silk dress", images=[PNG])


def connector(shop, sleep=no_sleep) -> TaobaoConnector:
    return TaobaoConnector(shop, sleep=sleep)


def test_response_key_drops_the_taobao_prefix():
    assert response_key("taobao.items.onsale.get") == "items_onsale_get_response"
    assert response_key("alibaba.image.upload") == "alibaba_image_upload_response"


def test_call_limit_waits_for_the_ban_then_succeeds(taobao_shop, fake_top, item):
    fake_top.call_limit = CallLimit(calls=2, per_seconds=0.5, ban_seconds=1)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    api = connector(taobao_shop, sleep=sleep).api
    api.item(str(item.num_iid))
    api.item(str(item.num_iid))
    assert api.item(str(item.num_iid)).title == "Silk dress"  # banned for a second, then let through
    assert slept == [1.0]
    assert fake_top.stats.rejected["7"] == 1


def test_call_limit_longer_than_the_allowed_wait_raises_rate_limited(taobao_shop, fake_top, item, settings):
    settings.TAOBAO_CALL_LIMIT_MAX_WAIT = 0.5
    fake_top.call_limit = CallLimit(calls=0, per_seconds=60, ban_seconds=30)
    with pytest.raises(ApiRateLimited, match=r"App Call Limited.*the ban outlasts") as caught:
        connector(taobao_shop).api.item(str(item.num_iid))
    assert caught.value.retry_after == 30.0
    assert caught.value.retryable


def test_isp_errors_are_retried_with_backoff(taobao_shop, fake_top, item):
    fake_top.faults.append(Fault("taobao.item.seller.get", "isp", times=2))
    client_connector = connector(taobao_shop)
    assert client_connector.api.item(str(item.num_iid)).num_iid == str(item.num_iid)
    assert client_connector.client.stats.retries == 2


def test_isp_errors_that_persist_end_unavailable(taobao_shop, fake_top, item):
    fake_top.faults.append(Fault("taobao.item.seller.get", "isp", times=5))
    with pytest.raises(ApiUnavailable, match=r"isp.top-remote-connection-timeout") as caught:
        connector(taobao_shop).api.item(str(item.num_iid))
    assert caught.value.retryable
    assert fake_top.take_fault("taobao.item.seller.get") is not None  # 3 attempts used 3 of the 5


def test_isv_errors_are_terminal_and_keep_the_platform_message(taobao_shop, fake_top):
    with pytest.raises(ApiNotFound, match=r"isv.item-not-exist: item 42 does not exist"):
        connector(taobao_shop).api.item("42")
    with pytest.raises(ApiBadRequest, match=r"isv.invalid-parameter:page_size: page_size must be between 1 and 200"):
        connector(taobao_shop).client.call("taobao.items.onsale.get", {"page_size": 500})


@pytest.mark.parametrize("error", [
    "gateway down", {"msg": "no code"}, {"code": "seven", "msg": "not a number"}, None,
])
def test_malformed_error_responses_are_unavailable_with_a_clear_message(error):
    mapped = error_from_response("taobao.item.seller.get", error)
    assert isinstance(mapped, ApiUnavailable)
    assert "malformed error_response for taobao.item.seller.get" in mapped.message


def test_a_malformed_error_response_from_the_gateway_is_retried_then_reported(taobao_shop, fake_top, item):
    fake_top.faults.append(Fault("taobao.item.seller.get", "malformed_error", times=3))
    with pytest.raises(ApiUnavailable, match=r"malformed error_response for taobao.item.seller.get"):
        connector(taobao_shop).api.item(str(item.num_iid))


def test_a_body_that_is_not_json_is_unavailable(taobao_shop, fake_top, item):
    fake_top.faults.append(Fault("taobao.item.seller.get", "not_json", times=3))
    with pytest.raises(ApiUnavailable, match=r"not JSON for taobao.item.seller.get.*502 Bad Gateway"):
        connector(taobao_shop).api.item(str(item.num_iid))


def test_mapping_of_platform_codes():
    def mapped(**error):
        return error_from_response("m", error)

    assert isinstance(mapped(code=7, msg="App Call Limited", sub_msg="This ban will last for 12 more seconds"),
                      ApiRateLimited)
    assert mapped(code=7, msg="App Call Limited", sub_msg="This ban will last for 12 more seconds").retry_after == 12
    assert isinstance(mapped(code=11, msg="Insufficient isv permissions"), ApiForbidden)
    assert isinstance(mapped(code=15, msg="Remote service error", sub_code="isp.unknown-error"), ApiUnavailable)
    assert isinstance(mapped(code=15, msg="Remote service error", sub_code="isv.invalid-parameter"), ApiBadRequest)
    assert isinstance(mapped(code=41, msg="Invalid Arguments"), ApiBadRequest)
    assert isinstance(mapped(code=10, msg="Service currently unavailable"), ApiUnavailable)


def test_a_lost_answer_to_a_write_is_not_resent(taobao_shop, fake_top, taobao_seller):
    fake_top.faults.append(Fault("taobao.picture.upload", "drop_after"))
    api = connector(taobao_shop).api
    with pytest.raises(ResponseLost, match=r"may have been applied"):
        api.picture_upload(file=UploadFile("a.png", PNG, "image/png"), title="a.png", category_id=0)
    assert fake_top.stats.calls["taobao.picture.upload"] == 1
    assert len(fake_top.pictures_of(taobao_seller, api="taobao.picture.upload")) == 1


def test_a_lost_answer_to_a_read_is_retried(taobao_shop, fake_top, item):
    fake_top.faults.append(Fault("taobao.item.seller.get", "drop_after"))
    assert connector(taobao_shop).api.item(str(item.num_iid)).title == "Silk dress"
    assert fake_top.stats.calls["taobao.item.seller.get"] == 2


def test_expired_session_is_refreshed_once_and_the_call_goes_through(taobao_shop, fake_top, taobao_seller, item):
    old_token = Credential.objects.get(shop=taobao_shop).access_token
    fake_top.expire_sessions(taobao_seller)
    assert connector(taobao_shop).api.item(str(item.num_iid)).title == "Silk dress"
    credential = Credential.objects.get(shop=taobao_shop)
    assert credential.access_token != old_token
    assert fake_top.sessions[credential.access_token].seller_id == taobao_seller.user_id


def test_a_session_refused_again_after_refreshing_fails_clearly(taobao_shop, fake_top, item):
    fake_top.faults.append(Fault("taobao.item.seller.get", "invalid_session", times=2))
    with pytest.raises(ApiUnauthorized, match=r"code 27 Invalid session.*refused again right after a token "
                                              r"refresh: the seller must authorise the app again"):
        connector(taobao_shop).api.item(str(item.num_iid))
    assert fake_top.stats.calls["taobao.item.seller.get"] == 0


def test_expired_session_with_an_expired_refresh_token_asks_the_seller_to_reauthorise(
        taobao_shop, fake_top, taobao_seller, item):
    Credential.objects.filter(shop=taobao_shop).update(refresh_expires_at=timezone.now() - timedelta(minutes=1))
    fake_top.expire_sessions(taobao_seller)
    with pytest.raises(ApiUnauthorized, match=r"expired on .* and cannot be refreshed; the seller .* must authorise "
                                              "the app again at .*/connectors/taobao/authorize"):
        connector(taobao_shop).api.item(str(item.num_iid))


def test_a_refresh_token_taobao_refuses_revokes_the_credential(taobao_shop, fake_top, taobao_seller, item):
    fake_top.expire_sessions(taobao_seller)
    fake_top.expire_refresh_tokens(taobao_seller)
    with pytest.raises(ApiUnauthorized, match=r"Taobao refused to refresh the session.*invalid_grant"):
        connector(taobao_shop).api.item(str(item.num_iid))
    credential = Credential.objects.get(shop=taobao_shop)
    assert credential.revoked_at is not None and credential.access_token == ""
    with pytest.raises(ApiUnauthorized, match=r"has no usable Taobao authorisation"):
        connector(taobao_shop).api.item(str(item.num_iid))


def test_a_token_close_to_expiry_is_refreshed_before_the_call(taobao_shop, fake_top, taobao_seller, item):
    Credential.objects.filter(shop=taobao_shop).update(access_expires_at=timezone.now() + timedelta(minutes=5))
    old_token = Credential.objects.get(shop=taobao_shop).access_token
    connector(taobao_shop).api.item(str(item.num_iid))
    credential = Credential.objects.get(shop=taobao_shop)
    assert credential.access_token != old_token
    assert credential.access_expires_at > timezone.now() + timedelta(hours=12)
    assert fake_top.sessions[credential.access_token].seller_id == taobao_seller.user_id
