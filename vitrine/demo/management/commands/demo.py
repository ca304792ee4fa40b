"""``manage.py demo``: a working store on a fresh machine, from the sample catalogue to the review queue.

Everything goes the way it goes in production: the sample CSV is imported through the CSV / folder
connector, each product's ``catalog.product_synced`` reaches the planner, the planner's
``variant.requested`` events reach the inference app, rendered variants are scored by the review app and
queued. With the embedded defaults (no broker) Celery runs each task in-process as it is sent, so the
progress bar follows the rendering. Running it again changes nothing that exists already.
"""

from __future__ import annotations

import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.urls import reverse
from tqdm import tqdm

from vitrine.connectors.csvfile.connector import CsvFileConnector
from vitrine.connectors.csvfile.services import MarketSpec, catalogue_import, csv_shop_ensure
from vitrine.console.services import is_onboarded, onboarding_complete
from vitrine.platform.celery import app as celery_app
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Product, Shop, ShopMembership, Variant
from vitrine.platform.roles import Role
from vitrine.review.models import ReviewItem
from vitrine.templates import selectors as template_selectors
from vitrine.templates.services import catalogue_sync, glossary_set, rule_set

SAMPLE_DIR = Path(settings.BASE_DIR) / "sample_catalogue"
SHOP_NAME = "Vitrine Demo Store"
LOGIN, PASSWORD = "demo", "vitrine-demo"
MARKETS = (MarketSpec("de-DE", "DE", "Germany"), MarketSpec("zh-CN", "CN", "China"),
           MarketSpec("en-US", "US", "United States"))

# template slug -> (market locales, rule filters); an empty locale list means every market it suits.
RULES: dict[str, tuple[tuple[str, ...], dict[str, list[str]]]] = {
    "marketplace-white": (("de-DE", "zh-CN"), {"tags": ["packshot"]}),
    "studio-sweep-light": (("en-US",), {"tags": ["packshot"]}),
    # Real photographs: the scene behind the product is replaced (GrabCut, or the merchant's mask).
    "studio-sweep-warm": (("de-DE", "zh-CN", "en-US"), {"tags": ["real-photo"]}),
    "studio-gradient-charcoal": (("en-US",), {"tags": ["real-photo"]}),
    "text-de-de": ((), {"tags": ["printed-text"]}),
    "text-en-us": ((), {"tags": ["chinese-label"]}),
    "text-zh-cn": ((), {"tags": ["english-label"]}),
    "model-east-asian-woman-20s": (("zh-CN",), {"tags": ["on-model"]}),
    "model-european-woman-40s-plus": (("de-DE",), {"tags": ["on-model"]}),
    "flatlay-to-on-model": (("en-US",), {"tags": ["flat-lay"]}),
}

# The shop's glossary: the printed text on the sample products, and product titles for the alt text.
GLOSSARY: dict[str, dict[str, str]] = {
    "龙井绿茶": {"de": "Grüntee", "en": "Green Tea"},
    "特级品质": {"de": "Premium", "en": "Premium"},
    "100 g": {"de": "100 g", "en": "100 g"},
    "WILDFLOWER": {"de": "WILDBLÜTEN", "zh": "野花"},
    "HONEY": {"de": "HONIG", "zh": "蜂蜜"},
    "RAW & ORGANIC": {"de": "ROH & BIO", "zh": "天然有机"},
    "Stoneware Mug, Cobalt Blue": {"de": "Steingutbecher, Kobaltblau", "zh": "钴蓝色粗陶马克杯"},
    "Bifold Leather Wallet": {"de": "Klappbörse aus Leder", "zh": "对折真皮钱包"},
    "Insulated Steel Bottle 750 ml": {"de": "Isolierte Edelstahlflasche 750 ml", "zh": "750 毫升保温钢瓶"},
    "Field Watch, Navy Dial": {"de": "Feldarmbanduhr, marineblaues Zifferblatt", "zh": "藏青表盘野战手表"},
    "Desk Lamp, Amber Shade": {"de": "Schreibtischlampe, Bernsteinschirm", "zh": "琥珀色灯罩台灯"},
    "Organic Cotton T-Shirt, Red": {"de": "T-Shirt aus Bio-Baumwolle, Rot", "zh": "红色有机棉 T 恤"},
    "Longjing Green Tea, Premium Grade, 100 g": {"de": "Longjing-Grüntee, Spitzenqualität, 100 g",
                                                 "zh": "特级龙井绿茶 100 克"},
    "Raw Wildflower Honey": {"de": "Roher Wildblütenhonig", "zh": "天然野花蜂蜜"},
    "Flight Suit, Orange": {"de": "Fliegeroverall, Orange", "zh": "橙色飞行连体服"},
    "Espresso Cup and Saucer": {"de": "Espressotasse mit Untertasse", "zh": "浓缩咖啡杯和碟"},
    "Raw Wildflower Honey, Gift Jar": {"de": "Roher Wildblütenhonig, Geschenkglas", "zh": "天然野花蜂蜜礼品罐"},
}


class Command(BaseCommand):
    help = ("Set up a demo store from the bundled sample catalogue: a login, a CSV shop with three markets, "
            "template rules and a glossary; import, plan, render and score; end at the review queue.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--export-dir", type=Path, default=Path(settings.VAR_DIR) / "demo-export",
                            help="where approved variants are exported (default: var/demo-export)")

    def handle(self, *args: Any, **options: Any) -> None:
        # Every task logs at INFO; in the demo they would bury the progress bar and the summary. The
        # in-memory broker's "no hostname" note is noise too.
        quiet = {"": logging.WARNING, "kombu": logging.ERROR} if options["verbosity"] < 2 else {}
        loggers = {name: logging.getLogger(name) for name in quiet}
        previous = {name: logger.level for name, logger in loggers.items()}
        for name, level in quiet.items():
            loggers[name].setLevel(level)
        try:
            self._run(options["export_dir"])
        finally:
            for name, level in previous.items():
                loggers[name].setLevel(level)

    def _run(self, export_dir: Path) -> None:
        out = self.stdout
        synced = catalogue_sync()
        out.write(f"Template catalogue: {len(template_selectors.templates_current())} templates "
                  f"({len(synced.created)} added, {len(synced.revised)} revised).")
        self._login()
        shop = self._shop(export_dir)
        before = Variant.objects.filter(shop=shop).count()
        eager = bool(celery_app.conf.task_always_eager)
        connector = CsvFileConnector(shop)
        total = len(connector.catalogue().products)
        with tqdm(total=total, unit="product", desc="Import, plan, render, score", file=sys.stderr) as bar:
            report = catalogue_import(shop=shop, connector=connector,
                                      on_product=lambda _: self._tick(bar, shop))
        for issue in report.issues:
            self.stderr.write(f"  {issue.severity}: {issue}")
        out.write(f"Imported {report.products} products with {report.images} images through the CSV "
                  f"connector (read as {report.encoding}).")
        if not eager:
            out.write(self.style.WARNING("Celery sends tasks to a broker here: workers render the variants."))
        self._summary(shop, created=Variant.objects.filter(shop=shop).count() - before)

    def _tick(self, bar: tqdm, shop: Shop) -> None:
        bar.update(1)
        rendered = Variant.objects.filter(shop=shop).exclude(
            state__in=[VariantState.REQUESTED, VariantState.GENERATING]
        ).count()
        bar.set_postfix(variants=rendered)

    def _login(self) -> None:
        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(username=LOGIN, defaults={"email": "demo@example.com"})
        user.is_staff = user.is_superuser = True
        user.set_password(PASSWORD)  # the printed password must work, also after it was changed
        user.save()

    @transaction.atomic
    def _shop(self, export_dir: Path) -> Shop:
        shop = csv_shop_ensure(name=SHOP_NAME, csv_path=SAMPLE_DIR / "products.csv", images_dir=SAMPLE_DIR,
                               export_dir=export_dir, markets=MARKETS)
        markets = {market.locale: market for market in shop.markets.all()}
        for slug, (locales, filters) in RULES.items():
            chosen = [markets[locale] for locale in locales]
            rule_set(shop=shop, template_slug=slug, markets=chosen, **filters)
        for phrase, translations in GLOSSARY.items():
            for locale, translation in translations.items():
                glossary_set(shop=shop, source_text=phrase, locale=locale, translation=translation)
        entries = sum(len(translations) for translations in GLOSSARY.values())
        self.stdout.write(f"Shop {shop.name!r}: markets {', '.join(sorted(markets))}; {len(RULES)} template "
                          f"rules; {entries} glossary entries.")
        return shop

    def _summary(self, shop: Shop, *, created: int) -> None:
        out = self.stdout
        variants = list(Variant.objects.filter(shop=shop).select_related("market", "source_image__product"))
        by_state = Counter(variant.state for variant in variants)
        by_market = Counter(variant.market.locale for variant in variants)
        out.write(f"Variants: {len(variants)} in all ({created} new in this run), for "
                  + ", ".join(f"{locale} {count}" for locale, count in sorted(by_market.items())) + ".")
        for state in VariantState:
            if by_state[state]:
                kinds = Counter(variant.kind for variant in variants if variant.state == state)
                out.write(f"  {state.label.lower():<12} {by_state[state]:>3}  "
                          + ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items())))
        waiting = [v for v in variants if v.state == VariantState.WAITING]
        if waiting:
            out.write(self.style.WARNING(f"Waiting for a diffusion model ({len(waiting)} variants; they render by "
                                         "themselves once INFERENCE_DEFAULT_MODEL is set and a worker starts, or "
                                         "run manage.py resume_waiting):"))
            for variant in waiting:
                out.write(f"  #{variant.pk} {variant.source_image.product.title} / {variant.template_slug} / "
                          f"{variant.market.locale}: {variant.failure_reason}")
        other_failures = [v for v in variants if v.state == VariantState.FAILED]
        for variant in other_failures:
            out.write(self.style.WARNING(f"  failed #{variant.pk} {variant.source_image.product.title} / "
                                         f"{variant.template_slug} / {variant.market.locale}: "
                                         f"{variant.failure_reason}"))
        deferred = template_selectors.deferred_count(shop)
        if deferred:
            out.write(f"Deferred by the daily cap of {shop.daily_variant_cap}: {deferred} (planned later).")
        untouched = Product.objects.filter(shop=shop).exclude(images__variants__isnull=False).count()
        if untouched:
            out.write(f"{untouched} product(s) match no template rule and got no variants.")
        open_items = ReviewItem.objects.filter(shop=shop).exclude(state=ReviewItem.State.DECIDED).count()
        out.write(f"Approved variants are exported to {shop.settings.get('export_dir')}/<locale>/.")
        # The merchant app opens on the demo shop (the demo user owns it); the review queue is one click away.
        owner = get_user_model().objects.get(username=LOGIN)
        ShopMembership.objects.update_or_create(user=owner, shop=shop, defaults={"role": Role.OWNER})
        if not is_onboarded(shop):
            onboarding_complete(shop=shop, actor="system:demo")
        base = settings.APP_URL.rstrip("/")
        out.write(self.style.SUCCESS(f"Merchant console: {base}{reverse('console:overview')}"))
        out.write(self.style.SUCCESS(f"Log in as {LOGIN!r} with password {PASSWORD!r}."))
        out.write(self.style.SUCCESS(f"Review queue ({open_items} items waiting): {base}{reverse('console:review')}"
                                     f"  (reviewers' keyboard queue: {base}"
                                     f"{reverse('admin:review_reviewitem_changelist')})"))

