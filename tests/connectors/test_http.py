"""The one HTTP layer of store calls: Retry-After, the deadline, backoff, refresh once, sent-vs-lost for writes,
and the one rule for image downloads."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest

from tests.fakes.files import FileServer
from vitrine.connectors import http as http_module
from vitrine.connectors.errors import ApiBadRequest, ApiNotFound, ApiRateLimited, ApiUnauthorized, ApiUnavailable
from vitrine.connectors.http import ResponseLost, Transport, image_download, raise_for_status, retry_after

URL = "https://store.example/api"


class Script:
    """Answers (or exceptions) in order, one per request; records what was sent and slept."""

    def __init__(self, *steps: httpx.Response | type[httpx.TransportError]) -> None:
        self.steps = list(steps)
        self.sent = 0
        self.slept: list[float] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        step = self.steps.pop(0)
        if isinstance(step, type):
            if step is not httpx.ConnectError:
                self.sent += 1  # it reached the store; only the answer went missing
            raise step("scripted", request=request)
        self.sent += 1
        return step

    def transport(self) -> Transport:
        return Transport(http=httpx.Client(transport=httpx.MockTransport(self.handle)), sleep=self.slept.append,
                         outlasted="still limited after {seconds:.0f} s")


def call(script: Script, *, write: bool = False, attempts: int = 3, max_wait: float = 60.0,
         refresh: Callable[[], object] | None = None) -> dict:
    transport = script.transport()

    def attempt() -> dict:
        response = transport.send("POST", URL, write=write, what="the store")
        raise_for_status(response, write=write, what="the store")
        return response.json()

    result = transport.call(attempt, write=write, attempts=attempts, max_wait=max_wait, refresh=refresh,
                            what="the store")
    script.stats = transport.stats  # type: ignore[attr-defined]
    return result


OK = httpx.Response(200, json={"ok": True})


def test_retry_after_is_waited_exactly_and_is_not_an_attempt():
    script = Script(*[httpx.Response(429, headers={"Retry-After": "2"})] * 3, OK)
    assert call(script, attempts=1) == {"ok": True}
    assert script.slept == [2.0, 2.0, 2.0]
    assert script.stats.throttled == 3 and script.stats.waited_seconds == 6.0  # type: ignore[attr-defined]


def test_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=30)
    seconds = retry_after(httpx.Response(429, headers={"Retry-After": format_datetime(when, usegmt=True)}))
    assert 28 <= seconds <= 30
    assert retry_after(httpx.Response(429)) == 1.0
    assert retry_after(httpx.Response(429, headers={"Retry-After": "soon"})) == 1.0


def test_a_rate_limit_longer_than_the_deadline_ends_the_call_without_waiting():
    script = Script(httpx.Response(429, headers={"Retry-After": "120"}))
    with pytest.raises(ApiRateLimited, match="answered 429; still limited after 60 s") as caught:
        call(script)
    assert caught.value.retry_after == 120.0 and script.slept == []


def test_transient_failures_of_a_read_back_off_more_each_time(monkeypatch):
    delays: list[int] = []
    monkeypatch.setattr(http_module, "backoff_delay", lambda attempt: delays.append(attempt) or 0.5)
    script = Script(httpx.Response(503), httpx.ReadError, httpx.Response(500), OK)
    assert call(script, attempts=4) == {"ok": True}
    assert delays == [1, 2, 3] and script.slept == [0.5, 0.5, 0.5]
    assert script.stats.retries == 3  # type: ignore[attr-defined]


def test_a_read_ends_unavailable_after_the_last_attempt():
    script = Script(*[httpx.Response(503)] * 3)
    with pytest.raises(ApiUnavailable, match="answered 503"):
        call(script, attempts=3)
    assert script.sent == 3


def test_a_write_that_never_left_is_sent_again():
    script = Script(httpx.ConnectError, OK)
    assert call(script, write=True) == {"ok": True}
    assert script.sent == 1


def test_a_write_whose_answer_was_lost_is_never_sent_again():
    script = Script(httpx.ReadError, OK)
    with pytest.raises(ResponseLost, match="may have been applied"):
        call(script, write=True)
    assert script.sent == 1


@pytest.mark.parametrize(("status", "error"), [(500, ResponseLost), (503, ApiUnavailable)])
def test_a_failed_write_goes_back_to_the_caller(status, error):
    script = Script(httpx.Response(status), OK)
    with pytest.raises(error) as caught:
        call(script, write=True)
    assert caught.value.retryable and script.sent == 1
    assert isinstance(caught.value, ResponseLost) == (status == 500)  # 503: the gateway did not pass it on


def test_a_rate_limited_write_is_sent_again():
    script = Script(httpx.Response(429, headers={"Retry-After": "1"}), OK)
    assert call(script, write=True) == {"ok": True}


def test_a_refused_token_is_refreshed_once():
    refreshed: list[int] = []
    script = Script(httpx.Response(401), OK)
    assert call(script, refresh=lambda: refreshed.append(1)) == {"ok": True}
    assert refreshed == [1]

    script = Script(httpx.Response(401), httpx.Response(401))
    with pytest.raises(ApiUnauthorized, match="refused again right after a token refresh"):
        call(script, refresh=lambda: refreshed.append(1))
    assert refreshed == [1, 1] and script.sent == 2


def test_terminal_answers_are_not_retried():
    script = Script(httpx.Response(400, text="bad input"), OK)
    with pytest.raises(ApiBadRequest, match="bad input"):
        call(script)
    assert script.sent == 1


# --- image downloads: one rule for every store ----------------------------------------------------------
@pytest.fixture
def cdn(monkeypatch) -> FileServer:  # type: ignore[no-untyped-def]
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    with FileServer() as server:
        server.serve("/image.png", b"png bytes")
        server.serve("/forbidden.png", status=403, body=b"no")
        server.serve("/gone.png", status=410, body=b"gone")
        server.serve("/busy.png", status=503, body=b"busy")
        server.serve("/slow-down.png", status=429, body=b"later")
        yield server


def test_an_image_comes_through_the_guarded_fetcher(cdn: FileServer):
    assert image_download(cdn.base_url + "/image.png", allowed_hosts=["127.0.0.1"], attempts=3) == b"png bytes"


@pytest.mark.parametrize(("path", "error", "tries"), [
    ("/forbidden.png", ApiBadRequest, 1),  # a CDN 4xx is terminal, whichever store
    ("/gone.png", ApiNotFound, 1),
    ("/busy.png", ApiUnavailable, 3),
    ("/slow-down.png", ApiUnavailable, 3),
])
def test_image_download_failures_map_onto_the_taxonomy(cdn: FileServer, path: str, error: type, tries: int):
    with pytest.raises(error, match=r"^image 7: ") as caught:
        image_download(cdn.base_url + path, allowed_hosts=None, attempts=3, remote_id="7")
    assert type(caught.value) is error
    assert cdn.hits == [path] * tries
