"""The merchant app in headless Chromium, in English and in Chinese.

The console walk: log in -> onboarding (markets, a template per market, review policy and cap) -> request
variants for two products -> they appear in the review queue -> approve -> the product page shows them
published -> revert. The embedded walk: the Shopify admin's first load goes to the token page, App Bridge
(its script address routed to a local stub that hands out signed test session tokens) brings it back with a
token, and every later request carries the token as ``Authorization: Bearer``. Screenshots of every page land
in test-artifacts/console/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.console.conftest import PASSWORD, make_member
from tests.factories import make_source_image
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Market, Product, Variant
from vitrine.platform.roles import Role
from vitrine.templates.models import ColourSwatch, GlossaryEntry

APP_BRIDGE = "https://cdn.shopify.com/shopifycloud/app-bridge.js"
TOKEN_URL = "https://cdn.shopify.com/vitrine-test/id-token"
# What App Bridge does for the app: a session token on demand, and on the token page a reload with one.
APP_BRIDGE_STUB = """
window.shopify = {
  idToken: function () { return fetch("TOKEN_URL").then(function (r) { return r.text(); }); }
};
(function () {
  var reload = new URLSearchParams(window.location.search).get("shopify-reload");
  if (!reload) { return; }
  window.shopify.idToken().then(function (token) {
    var target = new URL(reload, window.location.href);
    target.searchParams.set("id_token", token);
    window.location.replace(target.toString());
  });
}());
""".replace("TOKEN_URL", TOKEN_URL)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(chromium):  # type: ignore[no-untyped-def]
    return chromium


def open_tab(browser, locale: str):  # type: ignore[no-untyped-def]
    # 1024 px wide: the narrowest the app is made for.
    context = browser.new_context(viewport={"width": 1024, "height": 900}, locale=locale)
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    return context, tab


def shot(tab, folder: Path, name: str) -> None:  # type: ignore[no-untyped-def]
    tab.wait_for_timeout(150)  # images of a freshly swapped page
    tab.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def arrive(tab, page: str, step: str | None = None) -> None:  # type: ignore[no-untyped-def]
    selector = f'main[data-page="{page}"]' + (f'[data-step="{step}"]' if step else "")
    tab.wait_for_selector(selector)


@pytest.mark.parametrize("locale,lang,heading", [("en-US", "en", "Overview"), ("zh-CN", "zh-hans", "概览")])
def test_console_walk(browser, live_server, csv_shop, artifacts_dir, locale, lang, heading):
    folder = artifacts_dir / "console" / lang
    folder.mkdir(parents=True, exist_ok=True)
    owner = make_member("olivia", csv_shop, Role.OWNER)
    germany = Market.objects.get(shop=csv_shop, locale="de-DE")
    mug, tin = (Product.objects.get(shop=csv_shop, handle=handle) for handle in ("mug", "tin"))
    context, tab = open_tab(browser, locale)
    try:
        # Log in with the keyboard; the language comes from the browser's Accept-Language.
        tab.goto(f"{live_server.url}/app/")
        tab.wait_for_selector("#id_username")
        assert tab.locator("html").get_attribute("lang") == lang
        shot(tab, folder, "login")
        tab.keyboard.type(owner.username)
        tab.keyboard.press("Tab")
        tab.keyboard.type(PASSWORD)
        tab.keyboard.press("Enter")
        arrive(tab, "overview")
        assert tab.locator("h1").first.inner_text() == heading
        tab.keyboard.press("Tab")  # the first stop is the link past the navigation
        assert tab.evaluate("document.activeElement.className") == "skip-link"
        shot(tab, folder, "overview-before-setup")

        # Onboarding: markets, a template for Germany, the review policy and cap.
        tab.locator('main a[href="/app/welcome/"]').click()
        arrive(tab, "onboarding", "markets")
        shot(tab, folder, "onboarding-1-markets")
        tab.locator("#markets-form button[type=submit]").click()
        arrive(tab, "onboarding", "templates")
        shot(tab, folder, "onboarding-2-templates")
        tab.locator(f'input[name=choice][value="studio-sweep-light:{germany.pk}"]').check()
        tab.locator("#templates-form > button[type=submit]").click()
        arrive(tab, "onboarding", "policy")
        tab.locator('input[name=review_mode][value="review_all"]').check()
        tab.locator("#id_daily_variant_cap").fill("200")
        shot(tab, folder, "onboarding-3-policy")
        tab.locator("#policy-form button[type=submit]").click()
        arrive(tab, "overview")
        csv_shop.refresh_from_db()
        assert csv_shop.daily_variant_cap == 200 and csv_shop.settings.get("onboarded_at")

        # Products: select two, apply a template to a market.
        tab.locator('nav.sidebar a[href="/app/products/"]').click()
        arrive(tab, "products")
        shot(tab, folder, "products")
        tab.locator(f"#product-{mug.pk}").check()
        tab.locator(f"#product-{tin.pk}").check()
        tab.locator("#bulk-template").select_option("studio-sweep-light")
        tab.locator("#bulk-market").select_option(str(germany.pk))
        tab.locator("#bulk-submit").click()
        tab.wait_for_selector(".message-success")
        variants = list(Variant.objects.filter(shop=csv_shop, market=germany).order_by("pk"))
        assert len(variants) == 2
        assert {v.state for v in variants} == {VariantState.IN_REVIEW}, [v.failure_reason for v in variants]
        shot(tab, folder, "products-after-request")

        # The review queue, one click from the overview.
        tab.locator('nav.sidebar a[href="/app/"]').click()
        arrive(tab, "overview")
        assert tab.locator('[data-count="waiting"]').inner_text() == "2"
        shot(tab, folder, "overview")
        tab.locator("#review-link").click()
        arrive(tab, "review")
        assert tab.locator(".review-card").count() == 2
        shot(tab, folder, "review")
        for variant in variants:
            tab.locator(f'button[data-approve="{variant.pk}"]').click()
            tab.wait_for_selector(f'button[data-approve="{variant.pk}"]', state="detached")
        shot(tab, folder, "review-empty")
        assert {v.state for v in Variant.objects.filter(pk__in=[v.pk for v in variants])} == {
            VariantState.PUBLISHED}

        # The product page shows them published; the variant page has the slider and the history.
        tab.goto(f"{live_server.url}/app/products/{mug.pk}/")
        arrive(tab, "products")
        mug_variant = next(v for v in variants if v.source_image.product_id == mug.pk)
        badge = tab.locator(f'.badge[data-variant="{mug_variant.pk}"]')
        assert badge.get_attribute("data-state") == VariantState.PUBLISHED
        shot(tab, folder, "product-published")
        tab.locator(f'a[href="/app/variants/{mug_variant.pk}/"]').first.click()
        # The product and variant pages are both "products": wait for the variant page itself, swapped in and
        # settled, or a key press can land while htmx is still replacing the page.
        tab.wait_for_url(f"**/app/variants/{mug_variant.pk}/")
        tab.wait_for_load_state("networkidle")
        slider = tab.locator("[data-compare-slider]")
        slider.focus()
        for _ in range(3):
            slider.press("ArrowRight")  # the slider works from the keyboard (press focuses it first)
        expect(slider).to_have_value("53")
        assert "inset(0px 0px 0px 53%)" in tab.locator(".compare-after").evaluate("e => e.style.clipPath")
        assert tab.locator(".timeline li").count() >= 5
        shot(tab, folder, "variant")

        # Revert: taken off the store.
        tab.goto(f"{live_server.url}/app/products/{mug.pk}/")
        arrive(tab, "products")
        tab.locator(f'button[data-revert="{mug_variant.pk}"]').click()
        tab.wait_for_selector(".message-success")
        mug_variant.refresh_from_db()
        assert mug_variant.state == VariantState.SUPERSEDED
        assert tab.locator(f'.badge[data-variant="{mug_variant.pk}"]').get_attribute("data-state") == "superseded"
        shot(tab, folder, "product-reverted")

        # The other pages.
        for page in ("glossary", "team", "activity", "settings"):
            tab.locator(f'nav.sidebar a[href="/app/{page}/"]').click()
            arrive(tab, page)
            shot(tab, folder, page)
    finally:
        context.close()


def test_colourways_section_confirms_a_swatch(browser, live_server, csv_shop, artifacts_dir):
    folder = artifacts_dir / "console" / "en"
    folder.mkdir(parents=True, exist_ok=True)
    owner = make_member("olivia", csv_shop, Role.OWNER)
    mug = Product.objects.get(shop=csv_shop, handle="mug")
    Product.objects.filter(pk=mug.pk).update(options=[{"name": "Colour", "values": ["Blue", "Navy"]}])
    context, tab = open_tab(browser, "en-US")
    try:
        tab.goto(f"{live_server.url}/app/")
        tab.wait_for_selector("#id_username")
        tab.locator("#id_username").fill(owner.username)
        tab.locator("#id_password").fill(PASSWORD)
        tab.locator("#id_password").press("Enter")
        arrive(tab, "overview")
        tab.goto(f"{live_server.url}/app/products/{mug.pk}/")
        arrive(tab, "products")
        navy = tab.locator('#colourways tr[data-colour="Navy"] input[type=color]')
        expect(navy).to_have_value("#1f2a44")  # the suggestion from the colour's name
        navy.fill("#202c48")
        tab.locator('#colourways tr[data-colour="Navy"] button[type=submit]').click()
        tab.wait_for_selector(".message-success")
        expect(tab.locator('#colourways tr[data-colour="Navy"] [data-swatch="#202C48"]')).to_be_visible()
        assert ColourSwatch.objects.get(product=mug, option_value="Navy").color == "#202C48"
        shot(tab, folder, "product-colourways")
    finally:
        context.close()


@pytest.mark.parametrize("locale,lang,heading", [("en", "en", "Overview"), ("zh-CN", "zh-hans", "概览")])
def test_embedded_walk(browser, live_server, fake_shopify, shopify_shop, artifacts_dir, locale, lang, heading):
    folder = artifacts_dir / "console" / f"embedded-{lang}"
    folder.mkdir(parents=True, exist_ok=True)
    make_source_image(shopify_shop, external_id="shirt", remote_id="shirt-1", seed=3)
    domain = shopify_shop.external_id
    handed_out: list[str] = []

    def app_bridge(route) -> None:  # type: ignore[no-untyped-def]
        route.fulfill(status=200, content_type="text/javascript", body=APP_BRIDGE_STUB)

    def id_token(route) -> None:  # type: ignore[no-untyped-def]
        token = fake_shopify.session_token(domain)
        handed_out.append(token)
        route.fulfill(status=200, content_type="text/plain", body=token,
                      headers={"Access-Control-Allow-Origin": "*"})

    context, tab = open_tab(browser, "en-US")
    tab.route(APP_BRIDGE, app_bridge)
    tab.route(TOKEN_URL, id_token)
    try:
        # The admin opens the app without a token: the token page, App Bridge, and back with one.
        tab.goto(f"{live_server.url}/connectors/shopify/?shop={domain}&host=YWRtaW4&embedded=1&locale={locale}")
        arrive(tab, "overview")
        assert handed_out, "App Bridge was never asked for a session token"
        assert tab.locator("html").get_attribute("lang") == lang
        assert tab.locator("h1").first.inner_text() == heading
        assert tab.locator('meta[name="shopify-api-key"]').get_attribute("content") == fake_shopify.client_id
        shot(tab, folder, "overview")

        # Every later request is htmx with the token in a header (the iframe has no session cookie).
        tokens_before = len(handed_out)
        tab.context.clear_cookies()
        tab.locator('nav.sidebar a[href="/app/products/"]').click()
        arrive(tab, "products")
        assert len(handed_out) > tokens_before
        shot(tab, folder, "products")
        tab.locator('nav.sidebar a[href="/app/glossary/"]').click()
        arrive(tab, "glossary")
        tab.locator("#g-source").fill("Shirt")
        tab.locator("#g-locale").fill("de")
        tab.locator("#g-translation").fill("Hemd")
        tab.locator("#glossary-form button[type=submit]").click()
        tab.wait_for_selector("td:has-text('Hemd')")
        assert GlossaryEntry.objects.filter(shop=shopify_shop, source_text="Shirt", translation="Hemd").exists()
        shot(tab, folder, "glossary")
        for page in ("review", "team", "activity", "settings"):
            tab.locator(f'nav.sidebar a[href="/app/{page}/"]').click()
            arrive(tab, page)
            shot(tab, folder, page)
    finally:
        context.close()
