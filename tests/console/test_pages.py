"""The merchant app's pages through Django's test client: every page in both languages, permissions, the
embedded app's session tokens and framing policy, and the signed image addresses."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tests.console.conftest import PASSWORD, make_member
from vitrine.console import selectors
from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import Market, Product, Shop, ShopMembership, Variant
from vitrine.platform.roles import Role
from vitrine.templates.models import GlossaryEntry, TemplateRule

pytestmark = pytest.mark.django_db

class FieldLabels(HTMLParser):
    """Form fields of a page, and which of them have no label (neither <label for>, a wrapping <label>, nor
    aria-label / aria-labelledby)."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.in_label = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        data = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if data.get("for"):
                self.label_for.add(str(data["for"]))
        elif tag in ("input", "select", "textarea") and data.get("type") not in ("hidden", "submit"):
            self.fields.append({**data, "_wrapped": "1" if self.in_label else None})

    def handle_endtag(self, tag: str) -> None:
        if tag == "label":
            self.in_label -= 1

    def unlabelled(self) -> list[dict[str, str | None]]:
        return [f for f in self.fields if not (f["_wrapped"] or f.get("aria-label") or f.get("aria-labelledby")
                                               or (f.get("id") and f["id"] in self.label_for))]


PAGES = ["overview", "review", "products", "glossary", "team", "activity", "settings", "onboarding"]


def login(client, user) -> None:  # type: ignore[no-untyped-def]
    assert client.login(username=user.username, password=PASSWORD)


@pytest.mark.parametrize("language,word", [("en", "Overview"), ("zh-hans", "概览")])
def test_every_page_renders_in_both_languages(client, csv_shop, owner, language, word):
    login(client, owner)
    client.cookies["django_language"] = language
    product = Product.objects.filter(shop=csv_shop).first()
    urls = [reverse(f"console:{name}") for name in PAGES]
    urls += [reverse("console:product", args=[product.pk])]
    urls += [reverse("console:onboarding-step", args=[step]) for step in ("templates", "policy")]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{language}">' in html, url
        assert word in html, url
        assert "<script>" not in html and " style=" not in html, f"inline script or style on {url}"
        fields = FieldLabels()
        fields.feed(html)
        assert not fields.unlabelled(), f"fields without a label on {url}: {fields.unlabelled()}"


def test_language_from_accept_language_and_from_the_choice(client, csv_shop, owner):
    login(client, owner)
    page = client.get(reverse("console:overview"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert '<html lang="zh-hans">' in page.content.decode()
    client.post(reverse("console:language"), {"language": "en", "next": "/app/"})
    page = client.get(reverse("console:overview"), HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")
    assert '<html lang="en">' in page.content.decode()  # the user's choice wins over the browser's


def test_anonymous_goes_to_the_console_login(client, csv_shop):
    response = client.get(reverse("console:products"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("console:login"))


def test_onboarding_sets_markets_rules_and_policy(client, csv_shop, owner):
    login(client, owner)
    germany, china = (Market.objects.get(shop=csv_shop, locale=loc) for loc in ("de-DE", "zh-CN"))
    response = client.post(reverse("console:onboarding-step", args=["markets"]), {"add": "1", "locale": "fr-fr",
                                                                                  "name": "France"})
    assert response.status_code == 302
    france = Market.objects.get(shop=csv_shop, locale="fr-FR")
    client.post(reverse("console:onboarding-step", args=["markets"]), {"enabled": [germany.pk, china.pk]})
    france.refresh_from_db()
    assert not france.enabled
    client.post(reverse("console:onboarding-step", args=["templates"]),
                {"choice": [f"studio-sweep-light:{germany.pk}", f"marketplace-white:{china.pk}"]})
    rules = {rule.template_slug: {m.locale for m in rule.markets.all()} for rule in TemplateRule.objects.filter(
        shop=csv_shop)}
    assert rules == {"studio-sweep-light": {"de-DE"}, "marketplace-white": {"zh-CN"}}
    response = client.post(reverse("console:onboarding-step", args=["policy"]), {
        "review_mode": "auto_publish_pass", "auto_publish_min_score": "0.95", "daily_variant_cap": "120"})
    assert response.status_code == 302 and response["Location"] == reverse("console:overview")
    csv_shop.refresh_from_db()
    assert csv_shop.daily_variant_cap == 120 and csv_shop.settings["onboarded_at"]
    # A bad value is refused with the field named, and nothing changes.
    response = client.post(reverse("console:onboarding-step", args=["policy"]), {
        "review_mode": "review_all", "auto_publish_min_score": "7", "daily_variant_cap": "10"}, follow=True)
    assert "Lowest score published without review" in response.content.decode()
    csv_shop.refresh_from_db()
    assert csv_shop.daily_variant_cap == 120


def test_viewer_cannot_write_and_other_shops_are_invisible(client, csv_shop, owner):
    viewer = make_member("victor", csv_shop, Role.VIEWER)
    login(client, viewer)
    product = Product.objects.filter(shop=csv_shop).first()
    germany = Market.objects.get(shop=csv_shop, locale="de-DE")
    response = client.post(reverse("console:variants-request"), {"product": [product.pk],
                                                                  "template": "studio-sweep-light",
                                                                  "market": [germany.pk]})
    assert response.status_code == 403
    assert not Variant.objects.filter(shop=csv_shop).exists()
    assert client.post(reverse("console:glossary"), {"source_text": "a", "locale": "de",
                                                     "translation": "b"}).status_code == 403
    page = client.get(reverse("console:product", args=[product.pk])).content.decode()
    assert "generate-form" not in page  # a viewer is not offered what they may not do
    other = Shop.objects.create(provider="csvfile", external_id="other", name="Other")
    foreign = Product.objects.create(shop=other, external_id="x", title="Not yours")
    assert client.get(reverse("console:product", args=[foreign.pk])).status_code == 404


def test_request_variants_in_bulk_reaches_the_review_queue(client, csv_shop, owner,
                                                          django_capture_on_commit_callbacks):
    login(client, owner)
    products = list(Product.objects.filter(shop=csv_shop).order_by("pk")[:2])
    germany = Market.objects.get(shop=csv_shop, locale="de-DE")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:variants-request"), {
            "product": [p.pk for p in products], "template": "studio-sweep-light", "market": [germany.pk],
            "next": reverse("console:products")}, follow=True)
    assert "2 variants requested" in response.content.decode()
    variants = Variant.objects.filter(shop=csv_shop)
    assert variants.count() == 2
    assert {v.state for v in variants} == {VariantState.IN_REVIEW}, [v.failure_reason for v in variants]
    queue = client.get(reverse("console:review")).content.decode()
    for product in products:
        assert product.title in queue


def test_a_request_beyond_the_daily_cap_says_how_many_wait(client, csv_shop, owner,
                                                           django_capture_on_commit_callbacks):
    csv_shop.daily_variant_cap = 1
    csv_shop.save(update_fields=["daily_variant_cap"])
    login(client, owner)
    products = list(Product.objects.filter(shop=csv_shop).order_by("pk")[:2])
    germany = Market.objects.get(shop=csv_shop, locale="de-DE")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("console:variants-request"), {
            "product": [p.pk for p in products], "template": "studio-sweep-light", "market": [germany.pk],
            "next": reverse("console:products")}, follow=True)
    assert response.status_code == 200
    assert "1 variants requested; 1 wait for tomorrow" in response.content.decode()


def test_glossary_add_export_import(client, csv_shop, owner):
    login(client, owner)
    client.post(reverse("console:glossary"), {"source_text": "Blue Mug", "locale": "de",
                                              "translation": "Blauer Becher"})
    export = client.get(reverse("console:glossary-export"))
    assert export["Content-Type"].startswith("text/csv")
    assert "Blue Mug,de,Blauer Becher" in export.content.decode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("g.csv", "source_text,locale,translation\nTea Tin,zh,茶叶罐\n,de,x\n".encode(),
                                content_type="text/csv")
    page = client.post(reverse("console:glossary-import"), {"file": upload}, follow=True).content.decode()
    assert GlossaryEntry.objects.filter(shop=csv_shop, source_text="Tea Tin", translation="茶叶罐").exists()
    assert "line 3" in page  # the bad row is named, the good one imported


def test_team_invite_role_and_api_token(client, csv_shop, owner):
    login(client, owner)
    client.post(reverse("console:team"), {"do": "invite", "email": "rita@example.com", "role": "reviewer"})
    membership = ShopMembership.objects.get(shop=csv_shop, user__email="rita@example.com")
    assert membership.role == Role.REVIEWER
    client.post(reverse("console:team"), {"do": "role", "membership": membership.pk, "role": "editor"})
    membership.refresh_from_db()
    assert membership.role == Role.EDITOR
    page = client.post(reverse("console:team"), {"do": "token", "name": "ERP", "role": "viewer"}).content.decode()
    token = re.search(r'<code id="new-token">([^<]+)</code>', page).group(1)
    assert token.startswith("vit_")
    # The token works against the API and is shown only once.
    assert token not in client.get(reverse("console:team")).content.decode()


def test_signed_image_addresses(client, csv_shop, owner):
    image = Product.objects.filter(shop=csv_shop).first().images.first()
    url = selectors.image_url(csv_shop, image.image_id)
    assert client.get(url).status_code == 200  # no login needed: the signature is the permission
    assert client.get(url[:-3] + "abc").status_code == 404
    other = Shop.objects.create(provider="csvfile", external_id="other", name="Other")
    assert client.get(selectors.image_url(other, image.image_id)).status_code == 404


# --- the embedded app -----------------------------------------------------------------------------
def test_embedded_document_load_and_bearer_requests(client, fake_shopify, shopify_shop):
    token = fake_shopify.session_token(shopify_shop.external_id)
    page = client.get("/app/", {"shop": shopify_shop.external_id, "host": "YWRtaW4", "id_token": token,
                                "locale": "zh-CN", "embedded": "1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="zh-hans">' in html and "概览" in html
    assert '<meta name="shopify-api-key" content="vitrine-test-client">' in html
    assert '<script src="https://cdn.shopify.com/shopifycloud/app-bridge.js"></script>' in html
    policy = dict(part.strip().split(" ", 1) for part in page["Content-Security-Policy"].split(";") if part.strip())
    assert policy["frame-ancestors"] == f"https://{shopify_shop.external_id} https://admin.shopify.com"
    assert policy["script-src"] == "'self' https://cdn.shopify.com" and "'unsafe-inline'" not in policy["style-src"]
    assert "X-Frame-Options" not in page
    member = ShopMembership.objects.get(shop=shopify_shop)
    assert member.role == Role.OWNER and member.user.username.startswith("shopify:")
    # Later requests carry the token in a header; a POST needs no CSRF cookie then.
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {fake_shopify.session_token(shopify_shop.external_id)}"}
    assert client.get("/app/products/", **bearer).status_code == 200
    response = client.post("/app/glossary/", {"source_text": "Shirt", "locale": "de", "translation": "Hemd"},
                           **bearer)
    assert response.status_code == 302
    assert GlossaryEntry.objects.filter(shop=shopify_shop, translation="Hemd").exists()


def test_embedded_requests_without_a_good_token_are_refused(client, fake_shopify, shopify_shop):
    forged = fake_shopify.session_token(shopify_shop.external_id, secret="not-the-secret")
    response = client.get("/app/products/", HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert response.status_code == 401 and response["X-Shopify-Retry-Invalid-Session-Request"] == "1"
    # A document load from the admin without a token goes to the page that fetches one.
    response = client.get("/app/", {"shop": shopify_shop.external_id, "embedded": "1"})
    assert response.status_code == 302 and "/connectors/shopify/patch-id-token?" in response["Location"]


def test_settings_retention_and_markets(client, csv_shop, owner):
    login(client, owner)
    page = client.post(reverse("console:settings"), {"do": "retention", "on_uninstall": "purge", "keep_days": "5"},
                       follow=True)
    assert page.status_code == 200
    csv_shop.refresh_from_db()
    assert csv_shop.settings["retention"]["on_uninstall"] == "purge"
    assert csv_shop.settings["retention"]["keep_days"] == 5
    client.post(reverse("console:settings"), {"do": "market-add", "locale": "ja-JP", "name": "Japan"})
    assert Market.objects.filter(shop=csv_shop, locale="ja-JP", region="JP").exists()
    page = client.post(reverse("console:settings"), {"do": "market-add", "locale": "not a tag!"}, follow=True)
    assert "Language and region" in page.content.decode()  # the field is named in the error
    editor = make_member("eddie", csv_shop, Role.EDITOR)
    client.logout()
    login(client, editor)
    # Retention belongs to the connection: an editor may change settings but not that.
    assert client.post(reverse("console:settings"), {"do": "retention", "on_uninstall": "keep",
                                                     "keep_days": "3"}).status_code == 403


def test_onboarding_preview_uses_the_first_product(client, csv_shop, owner, django_capture_on_commit_callbacks):
    login(client, owner)
    china = Market.objects.get(shop=csv_shop, locale="zh-CN")
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("console:onboarding-step", args=["templates"]),
                    {"preview": f"marketplace-white:{china.pk}"})
    first = selectors.first_products(csv_shop, limit=1)[0]
    (variant,) = Variant.objects.filter(shop=csv_shop)
    assert variant.source_image.product == first and variant.market == china
    assert not TemplateRule.objects.filter(shop=csv_shop).exists()  # a preview changes no rule
    page = client.get(reverse("console:onboarding-step", args=["templates"])).content.decode()
    assert selectors.image_url(csv_shop, variant.output_id) in page  # the "after" picture is the preview


WRITES = [  # (url name, args, form data, the action it needs)
    ("console:variants-request", [], {"product": ["999999"], "template": "x", "market": ["1"]}, "request_variants"),
    ("console:swatch-confirm", [999999], {"option_value": "Navy", "color": "#1F2A44"}, "request_variants"),
    ("console:colourways-make", [999999], {}, "request_variants"),
    ("console:variant-action", [999999, "regenerate"], {}, "request_variants"),
    ("console:variant-action", [999999, "retry"], {}, "request_variants"),
    ("console:variant-action", [999999, "publish"], {}, "publish"),
    ("console:variant-action", [999999, "revert"], {}, "publish"),
    ("console:review-decide", [999999], {"action": "approve"}, "review"),
    ("console:glossary", [], {"source_text": "a", "locale": "de", "translation": "b"}, "edit_settings"),
    ("console:glossary-delete", [999999], {}, "edit_settings"),
    ("console:settings", [], {"do": "policy", "review_mode": "review_all", "auto_publish_min_score": "0.9",
                              "daily_variant_cap": "10"}, "edit_settings"),
    ("console:settings", [], {"do": "market-add", "locale": "it-IT"}, "edit_settings"),
    ("console:settings", [], {"do": "retention", "on_uninstall": "keep", "keep_days": "3"}, "manage_connection"),
    ("console:onboarding-step", ["policy"], {"review_mode": "review_all", "auto_publish_min_score": "0.9",
                                            "daily_variant_cap": "10"}, "edit_settings"),
    ("console:team", [], {"do": "invite", "email": "new@example.com", "role": "viewer"}, "manage_team"),
]


@pytest.mark.parametrize("role", [Role.OWNER, Role.EDITOR, Role.REVIEWER, Role.VIEWER])
def test_role_matrix_of_the_console_writes(client, csv_shop, role):
    from vitrine.platform.roles import role_allows

    member = make_member(f"m-{role}", csv_shop, role)
    login(client, member)
    for name, args, data, action in WRITES:
        status = client.post(reverse(name, args=args), data).status_code
        allowed = role_allows(role, action)
        assert (status == 403) != allowed, f"{role} {name} {args}: {status}"


def test_product_page_refreshes_itself_while_variants_are_made(client, csv_shop, owner):
    login(client, owner)
    product = Product.objects.filter(shop=csv_shop).first()
    url = reverse("console:product", args=[product.pk])
    assert 'data-polling="1"' not in client.get(url).content.decode()
    image = product.images.first()
    variant = Variant.objects.create(shop=csv_shop, source_image=image, market=csv_shop.markets.first(),
                                     kind="background", template_slug="studio-sweep-light", template_version=1,
                                     source_sha256=image.sha256, seed=1)
    page = client.get(url).content.decode()
    assert 'data-polling="1"' in page and 'hx-trigger="every 3s"' in page
    assert f'data-variant="{variant.pk}"' in page and 'data-state="requested"' in page


def test_every_state_and_edit_kind_has_words_in_the_app():
    from vitrine.console import labels
    from vitrine.platform.lifecycle import VariantState
    from vitrine.platform.models import EditKind

    assert set(VariantState.values) <= set(labels.STATES)
    assert set(EditKind.values) <= set(labels.KINDS)


def _messages(page: str) -> str:
    return re.sub(r"\s+", " ", page)


def test_colourways_confirm_a_swatch_then_make_them_and_viewers_only_see_them(client, csv_shop, owner):
    login(client, owner)
    product = Product.objects.get(shop=csv_shop, external_id="mug")
    url = reverse("console:product", args=[product.pk])
    assert 'id="colourways"' not in client.get(url).content.decode()  # no colour option: no section
    Product.objects.filter(pk=product.pk).update(options=[{"name": "Colour", "values": ["Blue", "Navy", "Sand"]}])
    for language in ("en", "zh-hans"):
        client.cookies["django_language"] = language
        page = client.get(url).content.decode()
        assert 'id="colourways"' in page and " style=" not in page and "<script>" not in page
        fields = FieldLabels()
        fields.feed(page)
        assert not fields.unlabelled(), fields.unlabelled()
    assert "换色" in page and "确认" in page
    client.cookies["django_language"] = "en"
    page = client.get(url).content.decode()
    assert 'value="#1F2A44"' in page  # Navy's suggestion, prefilled
    assert page.count('name="option_value"') == 2  # Blue is photographed (the first colour): nothing to confirm

    confirm = reverse("console:swatch-confirm", args=[product.pk])
    bad = client.post(confirm, {"option_value": "Navy", "color": "navy", "next": url}, follow=True)
    assert "is not a colour" in _messages(bad.content.decode())
    unknown = client.post(confirm, {"option_value": "Green", "color": "#00FF00"}, follow=True)
    assert "not one of this product&#x27;s colours" in unknown.content.decode()
    done = client.post(confirm, {"option_value": "Navy", "color": "#1f2a44", "next": url}, follow=True)
    assert "The swatch for Navy is confirmed: #1F2A44." in _messages(done.content.decode())
    assert 'data-swatch="#1F2A44"' in done.content.decode()

    germany = Market.objects.get(shop=csv_shop, locale="de-DE")
    made = client.post(reverse("console:colourways-make", args=[product.pk]),
                       {"market": str(germany.pk), "next": url}, follow=True)
    page = _messages(made.content.decode())
    assert "1 colourways requested; 0 were made before." in page
    assert "Waiting for a confirmed swatch: Sand." in page
    variant = Variant.objects.get(shop=csv_shop, kind="colourway")
    assert (variant.slot, variant.market_id, variant.params["target"]) == ("colour:Navy", germany.pk, "#1F2A44")
    assert f'data-variant="{variant.pk}"' in page

    viewer = make_member("vera", csv_shop, Role.VIEWER)
    login(client, viewer)
    page = client.get(url).content.decode()
    assert 'id="colourways"' in page and 'fill="#1F2A44"' in page  # the chip, read-only
    assert "swatch-form" not in page and "colourways-form" not in page
    assert client.post(confirm, {"option_value": "Sand", "color": "#D8C8A8"}).status_code == 403
    assert client.post(reverse("console:colourways-make", args=[product.pk]), {}).status_code == 403
