"""The review page in headless Chromium at common laptop sizes: no control covers the images, the queue
shows thumbnails, a text variant's page shows what was translated, and every verdict-deciding measure of
the registry is listed."""

from __future__ import annotations

import pytest

from tests.review.conftest import PASSWORD, generated_variant, make_reviewer
from tests.review.test_browser import page  # noqa: F401  (the Chromium page fixture)
from vitrine.fidelity.registry import PASS_CHECKS, measure_names_for
from vitrine.review import scoring

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [(1440, 900), (1024, 768)]
LINES = [
    {"source": "龙井绿茶", "target": "Grüntee", "origin": "glossary", "read_back": "Grüntee", "similarity": 1.0,
     "box": [10, 10, 60, 24]},
    {"source": "特级品质", "target": "Premium", "origin": "glossary", "read_back": "Premlum", "similarity": 0.857,
     "box": [10, 30, 60, 44]},
]
SKIPPED = [{"source": "100 g", "reason": "reads the same"}]

# Every control's and every visible image's box in window coordinates; the pairs that intersect.
OVERLAPS_JS = """() => {
  const visible = (el) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== 'hidden' && style.display !== 'none' && box.width > 0 && box.height > 0
      && el.offsetParent !== null;
  };
  const images = [...document.querySelectorAll('#review-item .review-view img')].filter(visible);
  const controls = [...document.querySelectorAll(
    '#review-item button, #review-item a.button, #review-item input:not([type=hidden]), #review-item select, '
    + '#review-item textarea, #review-item .review-decide, #review-item .review-toolbar')].filter(visible);
  const overlaps = [];
  for (const image of images) {
    const a = image.getBoundingClientRect();
    for (const control of controls) {
      const b = control.getBoundingClientRect();
      const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (x > 0.5 && y > 0.5) overlaps.push(`${control.outerHTML.slice(0, 80)} over ${image.alt}`);
    }
  }
  return {overlaps, images: images.length, controls: controls.length};
}"""


def _text_item(shop):  # type: ignore[no-untyped-def]
    variant = generated_variant(shop, kind="text_localize", seed=7, template_slug="text-de-de", params={})
    variant.render_details = {"lines": LINES, "skipped": SKIPPED, "mask_method": "alpha", "offset": [0, 0]}
    variant.save(update_fields=["render_details"])
    item = scoring.variant_assess(variant_id=variant.pk)
    assert item is not None
    return item


def _log_in(tab, live_server, username: str) -> None:  # type: ignore[no-untyped-def]
    tab.goto(f"{live_server.url}/admin/login/?next=/admin/review/reviewitem/")
    tab.fill("#id_username", username)
    tab.fill("#id_password", PASSWORD)
    tab.click("input[type=submit]")
    tab.wait_for_selector("#review-queue")


@pytest.mark.parametrize("width,height", VIEWPORTS, ids=[f"{w}x{h}" for w, h in VIEWPORTS])
def test_no_control_overlaps_the_images(page, live_server, shop, scored_item, artifacts_dir,  # noqa: F811
                                        width, height):
    make_reviewer("rita", [shop])
    item = scored_item("patch", seed=1)
    text_item = _text_item(shop)
    page.set_viewport_size({"width": width, "height": height})
    _log_in(page, live_server, "rita")

    # The queue lists a thumbnail of every variant, each actually decoded by the browser.
    thumbs = page.locator("#review-list td.thumb img")
    assert thumbs.count() == 2
    for index in range(2):
        thumbs.nth(index).scroll_into_view_if_needed()
        page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=thumbs.nth(index).element_handle())
    page.screenshot(path=str(artifacts_dir / f"review-queue-{width}x{height}.png"), full_page=True)

    for target in (item, text_item):
        page.goto(f"{live_server.url}/admin/review/reviewitem/{target.pk}/review/")
        page.wait_for_selector("#review-item")
        page.wait_for_function("() => [...document.querySelectorAll('.review-view-1 img.base')]"
                               ".every((img) => img.complete && img.naturalWidth > 0)")
        for view in ("1", "2"):  # side by side, overlay
            page.keyboard.press(view)
            page.wait_for_function(f"() => document.querySelector('#review-item').dataset.view === '{view}'")
            # At the top, half way and at the bottom of the page: nothing floats over the images.
            for fraction in (0.0, 0.5, 1.0):
                page.evaluate(f"() => window.scrollTo(0, {fraction} * document.documentElement.scrollHeight)")
                result = page.evaluate(OVERLAPS_JS)
                assert result["images"] >= 1 and result["controls"] >= 3
                assert result["overlaps"] == [], (view, fraction, result["overlaps"])
            page.evaluate("() => window.scrollTo(0, 0)")
        # The reason panel opened pushes the images down instead of covering them.
        page.keyboard.press("1")
        page.keyboard.press("r")
        page.wait_for_selector("[data-panel]:not([hidden])")
        assert page.evaluate(OVERLAPS_JS)["overlaps"] == []
        page.keyboard.press("Escape")
        page.screenshot(path=str(artifacts_dir / f"review-item-{target.pk}-{width}x{height}.png"))


def test_a_text_variant_shows_the_translation_pairs_and_every_measure(page, live_server, shop,  # noqa: F811
                                                                      artifacts_dir):
    make_reviewer("rita", [shop])
    item = _text_item(shop)
    page.set_viewport_size({"width": 1440, "height": 900})
    _log_in(page, live_server, "rita")
    page.goto(f"{live_server.url}/admin/review/reviewitem/{item.pk}/review/")
    table = page.locator("[data-translations]")
    table.scroll_into_view_if_needed()
    rows = [[cell.strip() for cell in row.locator("td").all_inner_texts()]
            for row in table.locator("tbody tr").all()]
    assert rows == [
        ["龙井绿茶", "Grüntee (glossary)", "Grüntee", "1.00"],
        ["特级品质", "Premium (glossary)", "Premlum", "0.86"],
        ["100 g", "kept as it was: reads the same"],
    ]
    listed = page.locator("table.measures tbody tr").evaluate_all("rows => rows.map(r => r.dataset.measure)")
    assert listed == [*measure_names_for("text_localize"), *(c.name for c in PASS_CHECKS)]
    assert "colour_change" in listed
    page.screenshot(path=str(artifacts_dir / "review-text-item.png"), full_page=True)
