"""Server time to hand a reviewer the next item with 10,000 items waiting.

Seeds a throwaway database (PostgreSQL next to $DATABASE_URL when it is set, else a SQLite file under
var/), then times, through Django's full request stack, what a reviewer's "next" costs: claiming the
next item (POST next/) plus rendering its review page, and the page render on its own. Writes p50/p95
into bench/RESULTS.md under "## Review queue".

    .venv/bin/python bench/review.py [--items 10000] [--rounds 200] [--keep]
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchdb import drop_database, throwaway_database

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
SECTION = "## Review queue"
TARGET_P95_MS = 100.0


def seed(items: int) -> object:
    """``items`` review items over 4 shops, all sharing one real scored image pair; returns the reviewer."""
    import numpy as np
    from django.contrib.auth.models import Group, User
    from django.utils import timezone
    from PIL import Image

    from vitrine.fidelity import assess
    from vitrine.platform.lifecycle import VariantState
    from vitrine.platform.models import Market, Product, Shop, ShopMembership, SourceImage, Variant
    from vitrine.platform.services import blob_put, image_intake
    from vitrine.review.models import ReviewArtefact, ReviewItem

    rng = np.random.default_rng(7)
    side = 512
    photo = np.full((side, side, 3), 235, np.uint8)
    photo[96:416, 128:384] = rng.integers(40, 200, (320, 256, 3))
    mask = np.zeros((side, side), bool)
    mask[96:416, 128:384] = True
    variant_pixels = photo.copy()
    variant_pixels[~mask] = (120, 170, 220)
    variant_pixels[200:230, 200:230] = (30, 160, 60)

    def png(array: np.ndarray) -> bytes:
        buffer = io.BytesIO()
        Image.fromarray(array).save(buffer, format="PNG")
        return buffer.getvalue()

    assessment = assess(photo, variant_pixels, mask, kind="background", ocr=False)
    report = assessment.report.to_dict()
    intake = image_intake(png(photo), filename="product.png")
    output = blob_put(data=png(variant_pixels), content_type="image/png", width=side, height=side)
    artefacts = {name.removesuffix(".png"): blob_put(data=data, content_type="image/png")
                 for name, data in assessment.artefacts.items()}

    shops = [Shop.objects.create(provider="csvfile", external_id=f"bench-{n}.example", name=f"Bench shop {n}",
                                 installed_at=timezone.now()) for n in range(4)]
    markets = [Market.objects.create(shop=shop, locale=locale, region=locale[-2:], name=locale)
               for shop in shops for locale in ("en-US", "de-DE")]
    images_per_product = 5
    products = Product.objects.bulk_create(
        Product(shop=shops[n % len(shops)], external_id=f"p{n}", title=f"Product {n}")
        for n in range(items // images_per_product + 1)
    )
    sources = SourceImage.objects.bulk_create(
        SourceImage(product=products[n // images_per_product], remote_id=f"img{n}", original=intake.original,
                    image=intake.image, sha256=intake.image.sha256, width=side, height=side)
        for n in range(items)
    )
    kinds = ["background", "model_swap", "text_localize"]
    variants = Variant.objects.bulk_create(
        (
            Variant(shop_id=source.product.shop_id, source_image=source,
                    market=markets[2 * ((n // images_per_product) % len(shops)) + n % 2], kind=kinds[n % 3],
                    template_slug=f"template-{n % 5}", template_version=1, source_sha256=source.sha256, seed=n,
                    params={"prompt": "a sunlit oak table"}, state=VariantState.IN_REVIEW, output=output,
                    fidelity=report, fidelity_verdict=("pass", "review")[n % 2], fidelity_score=0.5 + (n % 50) / 100)
            for n, source in enumerate(sources)
        ),
        batch_size=1000,
    )
    ReviewArtefact.objects.bulk_create(
        (ReviewArtefact(variant=variant, name=name, blob=blob) for variant in variants
         for name, blob in artefacts.items()),
        batch_size=4000,
    )
    now = timezone.now()
    ReviewItem.objects.bulk_create(
        (ReviewItem(variant=variant, shop_id=variant.shop_id, priority=int(rng.integers(0, 3)),
                    due_at=now + timedelta(minutes=int(rng.integers(0, 2880)))) for variant in variants),
        batch_size=2000,
    )
    reviewer = User.objects.create_user("bench-reviewer", password="bench-password-1", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Reviewers"))
    ShopMembership.objects.bulk_create(ShopMembership(user=reviewer, shop=shop) for shop in shops)
    return reviewer


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(reviewer: object, rounds: int) -> dict[str, list[float]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from vitrine.review.models import ReviewItem

    client = Client()
    client.force_login(reviewer)
    timings: dict[str, list[float]] = {"next": [], "render": [], "queries": []}
    for round_number in range(rounds + 5):
        started = time.perf_counter()
        claimed = client.post(reverse("admin:review_next"))
        with CaptureQueriesContext(connection) as queries:
            rendered_at = time.perf_counter()
            page = client.get(claimed["Location"])
        finished = time.perf_counter()
        if claimed.status_code != 303 or page.status_code != 200:
            raise SystemExit(f"unexpected response: next {claimed.status_code}, page {page.status_code}")
        if round_number >= 5:  # the first rounds warm caches and connections
            timings["next"].append(1000 * (finished - started))
            timings["render"].append(1000 * (finished - rendered_at))
            timings["queries"].append(len(queries))
        # Decided out of band: the next round claims a new item (decisions themselves are not timed here).
        item_id = int(re.search(r"/(\d+)/review/", claimed["Location"]).group(1))
        ReviewItem.objects.filter(pk=item_id).update(state=ReviewItem.State.DECIDED)
    return timings


def write_results(text: str) -> None:
    existing = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(existing):
        updated = pattern.sub(lambda _: text, existing)
    else:
        updated = existing.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(updated)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database afterwards")
    args = parser.parse_args()

    url, described = throwaway_database("review")
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vitrine.platform.settings")
    os.environ["MEDIA_ROOT"] = tempfile.mkdtemp(prefix="review-bench-media-")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    try:
        call_command("migrate", verbosity=0)
        seeding = time.perf_counter()
        reviewer = seed(args.items)
        from django.db import connection

        with connection.cursor() as cursor:  # fresh planner statistics, as autovacuum keeps them in production
            cursor.execute("ANALYZE")
        print(f"seeded {args.items} open items in {time.perf_counter() - seeding:.1f} s on {described}")
        load_before = os.getloadavg()[0]
        timings = measure(reviewer, args.rounds)
        load_after = os.getloadavg()[0]
    finally:
        if not args.keep:
            drop_database(url)

    next_p50, next_p95 = percentile(timings["next"], 0.5), percentile(timings["next"], 0.95)
    render_p50, render_p95 = percentile(timings["render"], 0.5), percentile(timings["render"], 0.95)
    queries = statistics.median(timings["queries"])
    verdict = "meets" if next_p95 < TARGET_P95_MS else "misses"
    lines = [
        SECTION,
        "",
        f"`bench/review.py`, {time.strftime('%Y-%m-%d')}: {args.items} open review items (4 shops, 3 kinds), "
        f"{args.rounds} timed rounds after 5 warm-up rounds, {described}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPU(s), 1-minute load average {load_before:.1f} before and {load_after:.1f} after "
        f"the timed rounds. Times are server-side through Django's full request stack (test client, no "
        f"network), including the session, user and permission queries every admin request makes.",
        "",
        "| step | p50 | p95 |",
        "|---|---|---|",
        f"| claim next item (POST next/) + render its review page | {next_p50:.1f} ms | {next_p95:.1f} ms |",
        f"| render the review page alone | {render_p50:.1f} ms | {render_p95:.1f} ms |",
        "",
        f"Target p95 < {TARGET_P95_MS:.0f} ms for claim + render: {verdict} it. "
        f"The page render runs {queries:.0f} SQL queries (median).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    write_results(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
