"""Run the fake Shopify on its own (for benchmarks): seeds one shop, prints its coordinates as one JSON
line, serves until stdin closes.

    python -m tests.fakes.shopify --products 10000 --images 3 --restore-rate 100
"""

from __future__ import annotations

import argparse
import json
import sys

from tests.fakes.shopify.server import FakeShopify


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shop", default="bench.myshopify.com")
    parser.add_argument("--client-id", default="bench-client")
    parser.add_argument("--client-secret", default="shpss_bench_0123456789abcdef0123456789ab")
    parser.add_argument("--products", type=int, default=0)
    parser.add_argument("--images", type=int, default=3)
    parser.add_argument("--maximum", type=float, default=2000.0, help="bucket size in cost points")
    parser.add_argument("--restore-rate", type=float, default=100.0, help="points restored per second")
    args = parser.parse_args()
    fake = FakeShopify(client_id=args.client_id, client_secret=args.client_secret).start()
    fake.add_shop(args.shop, maximum=args.maximum, restore_rate=args.restore_rate)
    fake.seed_products(args.shop, args.products, images_per_product=args.images)
    tokens = fake.mint_tokens(args.shop, expiring=False)
    print(json.dumps({"base_url": fake.base_url, "shop_url_template": fake.shop_url_template, "shop": args.shop,
                      "client_id": args.client_id, "client_secret": args.client_secret,
                      "access_token": tokens["access_token"]}), flush=True)
    sys.stdin.read()  # serve until the parent closes our stdin (or exits)
    fake.stop()


if __name__ == "__main__":
    main()
