"""TOP request signing: the platform's published md5 example, hmac and hmac-sha256 from their definition,
and the fake gateway refusing a wrong signature or a stale timestamp."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest

from vitrine.connectors.errors import ApiBadRequest, ApiUnauthorized
from vitrine.connectors.taobao.client import TopClient
from vitrine.connectors.taobao.connector import TaobaoConnector
from vitrine.connectors.taobao.signing import (
    UnknownSignMethod,
    gateway_timestamp,
    parse_gateway_time,
    sign,
    string_to_sign,
)

pytest_plugins = ["tests.fakes.taobao.fixtures"]

# The platform's worked example.
EXAMPLE = {
    "method": "taobao.user.seller.get", "timestamp": "2013-05-06 13:52:03", "format": "xml", "app_key": "test",
    "v": "2.0", "fields": "nick", "sign_method": "md5", "session": "test",
}
EXAMPLE_STRING = ("app_keytestfieldsnickformatxmlmethodtaobao.user.seller.getsessiontestsign_methodmd5"
                  "timestamp2013-05-06 13:52:03v2.0")


def test_md5_matches_the_published_example():
    assert "test" + string_to_sign(EXAMPLE) + "test" == "test" + EXAMPLE_STRING + "test"
    assert sign(EXAMPLE, "test", "md5") == "72CB4D809B375A54502C09360D879C64"


@pytest.mark.parametrize(("method", "digestmod"), [("hmac", hashlib.md5), ("hmac-sha256", hashlib.sha256)])
def test_hmac_methods_sign_the_same_string_keyed_with_the_secret(method, digestmod):
    params = {**EXAMPLE, "sign_method": method}
    expected_string = EXAMPLE_STRING.replace("sign_methodmd5", f"sign_method{method}")
    assert string_to_sign(params) == expected_string
    expected = hmac.new(b"test", expected_string.encode(), digestmod).hexdigest().upper()
    assert sign(params, "test", method) == expected
    assert len(expected) == (32 if method == "hmac" else 64)


def test_sign_and_empty_values_are_left_out_and_names_sort_by_ascii():
    params = {"b": "2", "A": "1", "sign": "XYZ", "empty": "", "none": None, "a": "3"}
    assert string_to_sign(params) == "A1a3b2"


def test_non_ascii_values_are_signed_as_utf8():
    params = {"title": "连衣裙", "v": "2.0"}
    expected = hashlib.md5(("s" + "title连衣裙v2.0" + "s").encode("utf-8")).hexdigest().upper()
    assert sign(params, "s", "md5") == expected


def test_unknown_sign_method_is_refused():
    with pytest.raises(UnknownSignMethod, match=r"unknown TOP sign_method 'sha1'"):
        sign(EXAMPLE, "test", "sha1")


def test_gateway_time_is_gmt_plus_8():
    moment = datetime(2024, 1, 31, 20, 30, 5, tzinfo=UTC)
    assert gateway_timestamp(moment) == "2024-02-01 04:30:05"
    assert parse_gateway_time("2024-02-01 04:30:05") == moment
    with pytest.raises(ValueError, match=r"is not a gateway time"):
        parse_gateway_time("2024-02-01T04:30:05Z")


@pytest.mark.parametrize("method", ["md5", "hmac", "hmac-sha256"])
def test_the_fake_gateway_accepts_each_sign_method(taobao_shop, fake_top, taobao_seller, method, settings):
    settings.TAOBAO_SIGN_METHOD = method
    fake_top.add_item(taobao_seller, title="连衣裙", images=[])
    connector = TaobaoConnector(taobao_shop)
    page = connector.api.items_onsale(start_modified=datetime(2020, 1, 1, tzinfo=UTC),
                                      end_modified=datetime.now(UTC), page_no=1, page_size=10)
    assert page.total_results == 1
    assert fake_top.stats.calls["taobao.items.onsale.get"] == 1


def test_the_fake_gateway_rejects_a_wrong_signature(taobao_shop, fake_top):
    client = TopClient(app_secret="not-the-secret", session=lambda: "whatever")
    with pytest.raises(ApiUnauthorized, match=r"code 25 Invalid Signature.*check TAOBAO_APP_KEY"):
        client.call("taobao.item.seller.get", {"num_iid": 1, "fields": "num_iid"})
    assert fake_top.stats.rejected["25"] == 1
    assert sum(fake_top.stats.calls.values()) == 0


def test_the_fake_gateway_rejects_a_stale_timestamp(taobao_shop, fake_top):
    eleven_minutes_ago = datetime.now(UTC) - timedelta(minutes=11)
    client = TopClient(session=lambda: "whatever", clock=lambda: eleven_minutes_ago)
    with pytest.raises(ApiBadRequest, match=r"code 31 Invalid Timestamp.*timestamp error"):
        client.call("taobao.item.seller.get", {"num_iid": 1, "fields": "num_iid"})
    assert fake_top.stats.rejected["31"] == 1


def test_the_signature_covers_the_form_but_not_the_file(taobao_shop, fake_top):
    from vitrine.connectors.taobao.client import UploadFile

    connector = TaobaoConnector(taobao_shop)
    picture = connector.api.picture_upload(file=UploadFile("a.png", b"\x89PNG\r\n\x1a\n" + b"0" * 64, "image/png"),
                                           title="a.png", category_id=0)
    assert fake_top.pictures[int(picture.picture_id)].data.startswith(b"\x89PNG")
