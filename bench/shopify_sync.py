"""Catalogue sync benchmark: N products with K photos each, read from the fake Shopify by paging and by a
bulk operation, under the shop's cost bucket, every photo through the kernel's image intake.

The fake runs in its own process (so it does not share our interpreter lock), with the restore rate of a
Standard plan by default. The run uses a throwaway database made the way the test runner makes one
(``test_<name>`` of DATABASE_URL, or in-memory SQLite) and a temporary media directory. Events are
recorded but not handed to the other apps' handlers: the figures are the connector's and the intake's.

    .venv/bin/python bench/shopify_sync.py --products 10000 --images 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "RESULTS.md"


def results_section_write(subsection: str, body: str) -> None:
    """Replace ``### subsection`` inside ``## Shopify`` of bench/RESULTS.md (other sections untouched)."""
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    block = f"### {subsection}\n\n{body.strip()}\n"
    start = text.find("\n## Shopify\n")
    if start == -1:
        text = text.rstrip() + f"\n\n## Shopify\n\n{block}"
    else:
        end = text.find("\n## ", start + 1)
        end = len(text) if end == -1 else end
        section = text[start:end]
        head = section.find(f"\n### {subsection}\n")
        if head == -1:
            section = section.rstrip() + f"\n\n{block}"
        else:
            tail = section.find("\n### ", head + 1)
            section = section[:head + 1] + block + ("" if tail == -1 else "\n" + section[tail + 1:])
        text = text[:start] + section.rstrip() + "\n" + text[end:]
    RESULTS.write_text(text.rstrip() + "\n")


def start_fake(products: int, images: int, maximum: float, restore_rate: float) -> tuple[subprocess.Popen, dict]:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.fakes.shopify", "--products", str(products), "--images", str(images),
         "--maximum", str(maximum), "--restore-rate", str(restore_rate)],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--modes", default="pages,bulk")
    parser.add_argument("--maximum", type=float, default=2000.0, help="bucket size (Standard plan: 2000)")
    parser.add_argument("--restore-rate", type=float, default=100.0, help="points/s (Standard plan: 100)")
    parser.add_argument("--no-results", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()

    fake, coords = start_fake(args.products, args.images, args.maximum, args.restore_rate)
    media = Path(tempfile.mkdtemp(prefix="vitrine-bench-media-"))
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "vitrine.platform.settings", "SHOPIFY_API_KEY": coords["client_id"],
        "SHOPIFY_API_SECRET": coords["client_secret"], "SHOPIFY_SHOP_URL": coords["shop_url_template"],
        "MEDIA_ROOT": str(media), "LOG_LEVEL": "WARNING",
    })
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from vitrine.connectors.services import credential_store
    from vitrine.connectors.shopify import services
    from vitrine.platform import events
    from vitrine.platform.models import Blob, Product, Shop, SourceImage

    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    events.dispatch = lambda event_id: True  # recorded, not delivered: no planning or rendering downstream
    rows = []
    try:
        shop = Shop.objects.create(provider="shopify", external_id=coords["shop"], name="Bench")
        credential_store(shop=shop, access_token=coords["access_token"], scope="read_products",
                         access_expires_at=None, refresh_token="", refresh_expires_at=None)
        for mode in args.modes.split(","):
            SourceImage.objects.all().delete()
            Product.objects.all().delete()
            Blob.objects.all().delete()
            shutil.rmtree(media, ignore_errors=True)
            settings.SHOPIFY_BULK_THRESHOLD = 0 if mode == "bulk" else args.products + 1
            before = httpx.get(coords["base_url"] + "/_fake/stats").json()
            started = time.perf_counter()
            run = services.catalog_sync(shop_id=shop.pk, full=True)
            elapsed = time.perf_counter() - started
            after = httpx.get(coords["base_url"] + "/_fake/stats").json()
            images = SourceImage.objects.filter(product__shop=shop).count()
            complete = run.stats["seen"] == args.products and images == args.products * args.images
            rows.append({
                "mode": run.mode, "seconds": elapsed, "products": run.stats["seen"], "images": images,
                "complete": complete, "graphql_requests": run.stats["requests"],
                "cost_points": run.stats["cost_points"],
                "throttled_seconds": run.stats["throttled_seconds"], "throttled_by_shopify": after["throttled"]
                - before["throttled"], "image_downloads": after["requests"].get("cdn", 0)
                - before["requests"].get("cdn", 0),
            })
            print(json.dumps(rows[-1]), flush=True)
    finally:
        connection.creation.destroy_test_db(database, verbosity=0)
        fake.communicate("")
        shutil.rmtree(media, ignore_errors=True)

    if args.no_results:
        return
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    table = "\n".join(
        f"| {row['mode']} | {row['products']:,} | {row['images']:,} | {'yes' if row['complete'] else 'NO'} "
        f"| {row['seconds']:.1f} s | {row['products'] / row['seconds']:.1f} | {row['graphql_requests']:,} "
        f"| {row['cost_points']:,.0f} | {row['throttled_seconds']:.1f} s | {row['throttled_by_shopify']} |"
        for row in rows
    )
    floors = " ".join(
        f"{row['mode'].capitalize()}: the bucket alone takes ({row['cost_points']:,.0f} - {args.maximum:.0f}) points / "
        f"{args.restore_rate:.0f} per s = {max(0.0, row['cost_points'] - args.maximum) / args.restore_rate:.0f} s "
        f"of its {row['seconds']:.0f} s."
        for row in rows
    )
    results_section_write("Catalogue sync", f"""
`bench/shopify_sync.py`, {date.today():%Y-%m-%d}: {args.products:,} products x {args.images} photos from the fake
Shopify (separate process, loopback), bucket {args.maximum:.0f} points restored at {args.restore_rate:.0f}/s,
{engine}, Python {platform.python_version()}, {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f} at the
end. Every photo is downloaded from the fake CDN and goes through the kernel's intake (normalised PNG, blobs).
"requests" counts GraphQL calls, "cost" the actual query cost Shopify charged, "waited" the time spent waiting
for the bucket, "THROTTLED" the answers where Shopify refused a call for want of points.

| mode | products | images | complete | time | products/s | requests | cost (points) | waited | THROTTLED |
|---|---:|---:|---|---:|---:|---:|---:|---:|---:|
{table}

{floors}
""")


if __name__ == "__main__":
    main()
