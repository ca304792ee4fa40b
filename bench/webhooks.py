"""Webhook ingest benchmark: signed Shopify deliveries into our endpoint under gunicorn and PostgreSQL, next
to a bare Django view on the same server, driven by a load generator on loopback.

Each delivery is verified (HMAC of the raw body), stored in the inbox (unique on the webhook id) and its
processing queued on the Redis broker: what Shopify waits for before it counts the delivery as done. The
bare view answers 200 to the same requests through the same middleware, so the ratio isolates our work.
Rounds alternate between the two endpoints to share the machine's load fairly. The database is a
throwaway one (``test_<name>`` of DATABASE_URL); queued tasks go to a Redis database of their own and
are dropped at the end.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vitrine REDIS_URL=redis://127.0.0.1:6379/0 \\
        .venv/bin/python bench/webhooks.py --requests 2000 --concurrency 8

Imported by gunicorn (``webhooks:application``), this module is the app under test: the project's URLs
plus ``/bench/bare``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BENCH_SHOP = "bench.myshopify.com"
CLIENT_ID = "bench-client"
CLIENT_SECRET = "shpss_bench_0123456789abcdef0123456789ab"
WEBHOOK_PATH = "/connectors/shopify/webhooks"
BARE_PATH = "/bench/bare"


# --- the app under test (imported by gunicorn) ----------------------------------------------------
if os.environ.get("VITRINE_WEBHOOK_BENCH_APP") == "1":
    from django.conf import settings as django_settings
    from django.core.wsgi import get_wsgi_application
    from django.http import HttpRequest, HttpResponse
    from django.urls import include, path
    from django.views.decorators.csrf import csrf_exempt

    application = get_wsgi_application()
    django_settings.ROOT_URLCONF = "webhooks"  # this module: the project's URLs plus the bare view

    @csrf_exempt
    def bare(request: HttpRequest) -> HttpResponse:
        return HttpResponse(status=200)

    urlpatterns = [path(BARE_PATH.lstrip("/"), bare), path("", include("vitrine.platform.urls"))]


# --- the load generator ---------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def drive(url: str, deliveries: list, concurrency: int) -> tuple[float, list[float], dict[int, int]]:
    """Send every delivery once with ``concurrency`` keep-alive clients; (seconds, latencies, statuses)."""
    import httpx

    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    cursor = iter(deliveries)

    def worker() -> None:
        with httpx.Client(timeout=httpx.Timeout(5.0, connect=1.0)) as client:
            while True:
                with lock:
                    delivery = next(cursor, None)
                if delivery is None:
                    return
                started = time.perf_counter()
                status = client.post(url, content=delivery.body, headers=delivery.headers).status_code
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    statuses[status] = statuses.get(status, 0) + 1

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, statuses


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="deliveries per endpoint, over all rounds")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--no-results", action="store_true", help="print only; leave bench/RESULTS.md alone")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a PostgreSQL server (a throwaway test_ database is created there)")
    redis_url = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
    broker = urlunsplit(urlsplit(redis_url)._replace(path="/12"))
    os.environ.update({"DJANGO_SETTINGS_MODULE": "vitrine.platform.settings", "SHOPIFY_API_KEY": CLIENT_ID,
                       "SHOPIFY_API_SECRET": CLIENT_SECRET, "REDIS_URL": broker, "CELERY_BROKER_URL": broker,
                       "LOG_LEVEL": "WARNING"})
    import django

    django.setup()
    import redis
    from django.conf import settings
    from django.db import connection

    from tests.fakes.shopify import FakeShopify
    from vitrine.connectors.models import InboxMessage

    database = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    database_url = urlunsplit(urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{database}"))
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "VITRINE_WEBHOOK_BENCH_APP": "1",
           "ALLOWED_HOSTS": "127.0.0.1", "DB_CONN_MAX_AGE": "60"}
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("gunicorn")), "--chdir", str(ROOT / "bench"), "--bind",
         f"127.0.0.1:{port}", "--workers", str(args.workers), "--log-level", "warning", "webhooks:application"],
        cwd=ROOT, env={**env, "PYTHONPATH": str(ROOT)},
    )
    settings_note = (f"gunicorn {args.workers} sync workers, PostgreSQL, Redis broker, "
                     f"{args.concurrency} concurrent keep-alive clients")
    try:
        import httpx

        for _ in range(100):
            try:
                httpx.post(f"http://127.0.0.1:{port}{BARE_PATH}", timeout=1.0)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        # Deliveries are signed beforehand: the load generator's cost stays out of the figures.
        fake = FakeShopify(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
        payload = json.loads((ROOT / "tests/fakes/shopify/fixtures/products/update.json").read_text())
        per_round = args.requests // args.rounds
        warm = [fake.webhook("products/update", payload, BENCH_SHOP, webhook_id=str(uuid.uuid4())) for _ in range(50)]
        drive(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", warm, args.concurrency)
        drive(f"http://127.0.0.1:{port}{BARE_PATH}", warm, args.concurrency)
        measured = {"webhook": ([], 0.0, {}), "bare": ([], 0.0, {})}
        for _ in range(args.rounds):
            for name, target in (("bare", BARE_PATH), ("webhook", WEBHOOK_PATH)):
                deliveries = [fake.webhook("products/update", payload, BENCH_SHOP, webhook_id=str(uuid.uuid4()))
                              for _ in range(per_round)]
                seconds, latencies, statuses = drive(f"http://127.0.0.1:{port}{target}", deliveries,
                                                     args.concurrency)
                all_latencies, total, all_statuses = measured[name]
                for status, count in statuses.items():
                    all_statuses[status] = all_statuses.get(status, 0) + count
                measured[name] = (all_latencies + latencies, total + seconds, all_statuses)
        forged = fake.webhook("products/update", payload, BENCH_SHOP, secret="shpss_attacker_0123456789abcdef0123")
        forged_status = httpx.post(f"http://127.0.0.1:{port}{WEBHOOK_PATH}", content=forged.body,
                                   headers=forged.headers).status_code
        stored = InboxMessage.objects.count() - len(warm)
    finally:
        server.terminate()
        server.wait(timeout=30)
        connection.creation.destroy_test_db(database, verbosity=0)
        redis.Redis.from_url(broker).flushdb()

    rows = {}
    for name, (latencies, seconds, statuses) in measured.items():
        rows[name] = {"requests": len(latencies), "statuses": statuses, "per_second": len(latencies) / seconds,
                      "p50_ms": statistics.median(latencies) * 1000, "p99_ms": percentile(latencies, 0.99) * 1000}
        print(name, json.dumps(rows[name]), flush=True)
    ratio = rows["webhook"]["per_second"] / rows["bare"]["per_second"]
    print(f"throughput ratio webhook/bare {ratio:.2f}; inbox rows {stored}; forged delivery answered {forged_status}")
    if args.no_results:
        return
    from bench.shopify_sync import results_section_write

    table = "\n".join(
        f"| {label} | {row['requests']:,} | {', '.join(f'{k}: {v}' for k, v in sorted(row['statuses'].items()))} "
        f"| {row['per_second']:.0f} | {row['p50_ms']:.1f} ms | {row['p99_ms']:.1f} ms |"
        for label, row in (("bare Django view", rows["bare"]), ("verified webhook ingest", rows["webhook"]))
    )
    results_section_write("Webhook ingest", f"""
`bench/webhooks.py`, {date.today():%Y-%m-%d}: {settings_note}; {args.rounds} alternating rounds, Python
{platform.python_version()}, {os.cpu_count()} CPU(s) shared by server and load generator, load average
{os.getloadavg()[0]:.1f} at the end. Ingest = HMAC check of the raw body, inbox insert (unique webhook id),
processing task queued on Redis. Django {django.get_version()}, database {settings.DATABASES['default']['ENGINE']}.

| endpoint | requests | answers | requests/s | p50 | p99 |
|---|---:|---|---:|---:|---:|
{table}

Throughput ratio (webhook / bare): **{ratio:.2f}**. Inbox rows stored: {stored:,} (one per delivery); a
delivery signed with another secret was answered {forged_status}.
""")


if __name__ == "__main__":
    main()
