"""Fixtures shared by every app's tests: isolated media storage, Celery modes, Redis, sample objects."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import kombu.pools
import pytest
import redis as redis_lib
from django.conf import settings

from vitrine.platform.celery import app as celery_app

ARTIFACTS_DIR = Path(__file__).resolve().parents[1] / "test-artifacts"


def redis_url() -> str:
    """The Redis the tests talk to: $REDIS_URL in CI, the local server otherwise."""
    return os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def uses_postgres() -> bool:
    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture(autouse=True)
def _isolated_media(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _own_default_cache(settings) -> None:  # type: ignore[no-untyped-def]
    """Each test counts API throttles afresh: keys of its own in Redis (never a FLUSHDB of the Redis the
    broker uses), a store of its own in memory."""
    own = uuid.uuid4().hex[:12]
    settings.CACHES = {**settings.CACHES,
                       "default": {**settings.CACHES["default"], "KEY_PREFIX": f"test-{own}", "LOCATION":
                                   settings.CACHES["default"].get("LOCATION") or f"test-{own}"}}


@pytest.fixture(autouse=True)
def _stand_in_stores_on_loopback(settings) -> None:  # type: ignore[no-untyped-def]
    """The fake stores serve images over http from 127.0.0.1: allowed here explicitly, as a local development
    setup would (production allows neither). The fetcher's own tests take these allowances away again."""
    settings.FETCH_ALLOW_HTTP = True
    settings.FETCH_ALLOW_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.SHOPIFY_IMAGE_HOSTS = [*settings.SHOPIFY_IMAGE_HOSTS, "127.0.0.1"]
    settings.TAOBAO_IMAGE_HOSTS = [*settings.TAOBAO_IMAGE_HOSTS, "127.0.0.1"]


@pytest.fixture(autouse=True, scope="session")
def _eager_celery_by_default() -> Iterator[None]:
    """Tasks run in-process unless a test asks for a real broker (see ``celery_on_broker``)."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


@contextmanager
def celery_on_broker(url: str) -> Iterator[None]:
    """Send tasks to a real broker at ``url`` for the duration of the block."""
    conf = celery_app.conf
    saved = conf.broker_url, conf.task_always_eager
    _reset_broker_connections()
    conf.broker_url, conf.task_always_eager = url, False
    try:
        yield
    finally:
        _reset_broker_connections()
        conf.broker_url, conf.task_always_eager = saved


def _reset_broker_connections() -> None:
    # Celery caches a connection pool and a producer pool bound to the old broker URL.
    if celery_app._pool is not None:
        celery_app._pool.force_close_all()
        celery_app._pool = None
    celery_app.amqp._producer_pool = None
    kombu.pools.reset()  # the global producer pools are keyed by connection and may be closed


@pytest.fixture
def redis_client() -> Iterator[redis_lib.Redis]:
    client = redis_lib.Redis.from_url(redis_url())
    try:
        client.ping()
    except redis_lib.ConnectionError:
        if os.environ.get("CI") or os.environ.get("REDIS_URL"):
            raise
        pytest.skip("no Redis server on this machine")
    yield client
    client.close()


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS_DIR.mkdir(exist_ok=True)
    return ARTIFACTS_DIR


@pytest.fixture
def shop(db):  # type: ignore[no-untyped-def]
    from django.utils import timezone

    from vitrine.platform.models import Market, Shop

    shop = Shop.objects.create(provider="csvfile", external_id="acme.example", name="ACME",
                               installed_at=timezone.now())
    Market.objects.create(shop=shop, locale="en-US", region="US", name="United States")
    Market.objects.create(shop=shop, locale="de-DE", region="DE", name="Germany")
    return shop


# Debian's Chromium, driven by Playwright (a browser download is not possible here); the flags keep it off the
# network and quiet.
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


@pytest.fixture
def chromium(monkeypatch, settings) -> Iterator:  # type: ignore[no-untyped-def]
    """A headless Chromium for tests against the live server (skipped where it is not installed, failed in CI)."""
    import shutil

    from django.db import connections

    if not shutil.which(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing: install the Debian packages chromium and chromium-driver")
        pytest.skip(f"{CHROMIUM} is not installed")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls of the test body are safe here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    # The live server speaks plain HTTP.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
            # ORM calls made while Playwright's loop ran opened a connection of their own: close it, or the
            # test database cannot be dropped at the end of the session.
            connections.close_all()
