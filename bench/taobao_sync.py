"""Taobao catalogue sync of 5,000 items through the fake TOP gateway: time and gateway calls.

Seeds the fake with ``--items`` on-sale items (one photo each, identical bytes, so the content-addressed
storage keeps one copy), runs a full sync by modified-time windows into a throwaway database (PostgreSQL
next to $DATABASE_URL when it is set, else a SQLite file under var/), then changes ``--changed`` items and
runs an incremental sync. Prints wall time and calls per TOP method for both. Events are recorded but not
delivered (planning and rendering are not part of this measurement).

    .venv/bin/python bench/taobao_sync.py [--items 5000] [--changed 50] [--window 1000] [--keep]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from benchdb import drop_database, throwaway_database

if TYPE_CHECKING:
    from vitrine.platform.models import SyncRun

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def report(title: str, run: SyncRun, calls: dict[str, int], seconds: float) -> None:
    stats = run.stats
    print(f"{title}: {seconds:.1f} s, {stats['listed']} items listed, {stats['synced']} synced "
          f"({stats['synced'] / seconds:.0f} items/s), {stats['windows']} windows, {stats['splits']} splits, "
          f"{stats['requests']} TOP requests")
    for method, count in sorted(calls.items()):
        print(f"    {method:32} {count:6d}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=5000)
    parser.add_argument("--changed", type=int, default=50)
    parser.add_argument("--window", type=int, default=1000, help="TAOBAO_WINDOW_MAX_ITEMS and paging depth")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    args = parser.parse_args()

    database_url, description = throwaway_database("taobao")
    os.environ["DATABASE_URL"] = database_url
    media_root = tempfile.mkdtemp(prefix="taobao-bench-media-")
    os.environ["MEDIA_ROOT"] = media_root
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vitrine.platform.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    from tests.factories import png_bytes
    from tests.fakes.taobao.fixtures import connect_shop
    from tests.fakes.taobao.server import FakeTop
    from tests.fakes.taobao.store import GMT8
    from vitrine.connectors.taobao.services import catalog_sync
    from vitrine.platform import events

    logging.getLogger("httpx").setLevel(logging.WARNING)
    events.dispatch = lambda event_id: True  # recorded in the outbox, never delivered
    call_command("migrate", verbosity=0)
    fake = FakeTop(deep_paging_limit=args.window).start()
    settings.TAOBAO_APP_KEY, settings.TAOBAO_APP_SECRET = fake.app_key, fake.app_secret
    settings.TAOBAO_GATEWAY_URL, settings.TAOBAO_OAUTH_URL = fake.gateway_url, fake.oauth_url
    settings.TAOBAO_WINDOW_MAX_ITEMS = args.window
    settings.TAOBAO_PAGE_SIZE = 200
    try:
        seller = fake.add_seller("bench-seller")
        shop = connect_shop(fake, seller)
        photo = png_bytes(64, 64, seed=1)
        start = datetime(2024, 1, 1, tzinfo=GMT8)
        items = [fake.add_item(seller, title=f"Item {index}", images=[photo],
                               modified=start + timedelta(seconds=37 * index)) for index in range(args.items)]
        print(f"database: {description}; {args.items} items, window {args.window}, "
              f"page size {min(200, args.window)}")

        began = time.perf_counter()
        run = catalog_sync(shop_id=shop.pk, full=True)
        report("full sync", run, dict(fake.stats.calls), time.perf_counter() - began)

        before = dict(fake.stats.calls)
        for item in items[:: max(1, args.items // max(args.changed, 1))][: args.changed]:
            fake.update_item(item.num_iid, title=f"{item.title} (changed)")
        began = time.perf_counter()
        run = catalog_sync(shop_id=shop.pk, full=False)
        calls = {method: count - before.get(method, 0) for method, count in fake.stats.calls.items()
                 if count - before.get(method, 0)}
        report("incremental sync", run, calls, time.perf_counter() - began)
    finally:
        fake.stop()
        if not args.keep:
            drop_database(database_url)
            shutil.rmtree(media_root, ignore_errors=True)


if __name__ == "__main__":
    main()
