"""The merchant app's pages. Thin: reads through ``selectors``, writes through the owning apps' services (the
same ones the REST API calls), permissions through :mod:`vitrine.platform.roles`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vitrine.api import serializers as api_serializers
from vitrine.connectors import services as connector_services
from vitrine.console import selectors
from vitrine.console import services as console_services
from vitrine.console.pages import (
    back,
    ints,
    page_context,
    posted_fields,
    refused,
    template_titles,
    validated,
)
from vitrine.console.shop import SHOP_SESSION_KEY, actor_of, console_page
from vitrine.platform import selectors as platform_selectors
from vitrine.platform import services as platform_services
from vitrine.platform.lifecycle import IllegalTransition
from vitrine.platform.models import Blob, Product, Shop
from vitrine.platform.roles import Action
from vitrine.review import services as review_services
from vitrine.review.models import Decision, ReviewItem
from vitrine.review.selectors import report_of
from vitrine.templates import colourways as colourway_services
from vitrine.templates import planner
from vitrine.templates import selectors as template_selectors

PRODUCTS_PER_PAGE = 48


# --- auth and shop choice -------------------------------------------------------------------------
class LoginView(auth_views.LoginView):
    template_name = "console/login.html"
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("console:overview")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "page": "login"}


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return HttpResponseRedirect(reverse("console:login"))


@require_POST
@console_page()
def shop_switch(request: HttpRequest, shop: Shop) -> HttpResponse:
    chosen = selectors.console_shops(request.user).filter(pk=request.POST.get("shop", "")).first()
    if chosen is not None:
        request.session[SHOP_SESSION_KEY] = chosen.pk
    return HttpResponseRedirect(reverse("console:overview"))


@require_GET
def image(request: HttpRequest, token: str) -> FileResponse:
    """A stored image by its signed, shop-bound address (the page that links it checked who may see it)."""
    try:
        shop_id, sha256 = selectors.image_token_read(token)
    except (signing.BadSignature, KeyError, ValueError, TypeError):
        raise Http404("no such image") from None
    record = Blob.objects.filter(pk=sha256).first()
    if record is None or not platform_selectors.blob_in_shop(shop_id, sha256):
        raise Http404("no such image")
    response = FileResponse(default_storage.open(record.path, "rb"), content_type=record.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- overview and review queue --------------------------------------------------------------------
@require_GET
@console_page()
def overview(request: HttpRequest, shop: Shop) -> HttpResponse:
    context = page_context(request, shop, "overview", overview=selectors.shop_overview(shop),
                       onboarded=console_services.is_onboarded(shop),
                       usage=platform_selectors.usage_by_day(shop, days=7))
    return render(request, "console/overview.html", context)


@require_GET
@console_page()
def review_queue(request: HttpRequest, shop: Shop) -> HttpResponse:
    items = list(selectors.review_waiting(shop)[:200])
    context = page_context(request, shop, "review", items=items, titles=template_titles(shop),
                       reasons=Decision.Reason.choices)
    return render(request, "console/review.html", context)


@require_POST
@console_page(Action.REVIEW)
def review_decide(request: HttpRequest, shop: Shop, item_id: int) -> HttpResponse:
    item = ReviewItem.objects.filter(shop=shop, pk=item_id).first()
    if item is None:
        raise Http404("no such review item")
    data = validated(request, api_serializers.DecisionInputSerializer,
                      {key: request.POST[key] for key in ("action", "reason_code", "note") if key in request.POST})
    if data is None:
        return back(request, reverse("console:review"))
    decision = review_services.DecisionInput(action=data["action"], reason_code=data.get("reason_code", ""),
                                             note=data.get("note", ""))
    try:
        review_services.review_item_decide(item_id=item.pk, reviewer=request.user, decision=decision)
    except (review_services.ReviewError, IllegalTransition) as exc:
        refused(request, exc)
    else:
        messages.success(request, {
            Decision.Action.APPROVE: _("Approved."), Decision.Action.REJECT: _("Rejected."),
            Decision.Action.REGENERATE: _("A new version is being made."),
        }[data["action"]])
    return back(request, reverse("console:review"))


# --- products -------------------------------------------------------------------------------------
@require_GET
@console_page()
def products(request: HttpRequest, shop: Shop) -> HttpResponse:
    query = request.GET.get("q", "")
    found = selectors.products_search(shop, query)
    try:
        page_number = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page_number = 1
    total = found.count()
    start = (page_number - 1) * PRODUCTS_PER_PAGE
    rows = list(found[start:start + PRODUCTS_PER_PAGE])
    markets = list(shop.markets.filter(enabled=True).order_by("locale"))
    states = selectors.product_market_states(shop, rows)
    context = page_context(
        request, shop, "products", products=rows, query=query, total=total, page_number=page_number,
        has_next=start + PRODUCTS_PER_PAGE < total, markets=markets, states=states,
        templates=template_selectors.templates_current(shop),
    )
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "product-results":
        return render(request, "console/_product_results.html", context)
    return render(request, "console/products.html", context)


@require_GET
@console_page()
def product(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    item = _product_or_404(shop, product_id)
    markets = list(shop.markets.filter(enabled=True).order_by("locale"))
    grid = selectors.product_grid(shop, item)
    # While something is being made or published, the grid refreshes itself every few seconds.
    moving = {"requested", "generating", "generated", "publishing"}
    in_progress = any(cell.variant is not None and cell.variant.state in moving for row in grid for cell in row.cells)
    context = page_context(request, shop, "products", product=item, grid=grid, in_progress=in_progress,
                       markets=markets, templates=template_selectors.templates_current(shop),
                       titles=template_titles(shop), colourways=colourway_services.colourways_overview(item))
    return render(request, "console/product.html", context)


def _product_or_404(shop: Shop, product_id: int) -> Product:
    item = selectors.product_of_shop(shop, product_id)
    if item is None:
        raise Http404("no such product")
    return item


@require_POST
@console_page(Action.REQUEST_VARIANTS)
def swatch_confirm(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    """The product page's "Confirm" of one colour's swatch."""
    item = _product_or_404(shop, product_id)
    page = reverse("console:product", args=[item.pk])
    data = validated(request, api_serializers.SwatchConfirmSerializer,
                     posted_fields(request, "option_value", "color"))
    if data is None:
        return back(request, page)
    try:
        swatch = colourway_services.swatch_confirm(product_id=item.pk, actor=actor_of(request), **data)
    except colourway_services.ColourwayError as exc:
        refused(request, exc)
    else:
        messages.success(request, _("The swatch for %(colour)s is confirmed: %(swatch)s.")
                         % {"colour": swatch.option_value, "swatch": swatch.color})
    return back(request, page)


@require_POST
@console_page(Action.REQUEST_VARIANTS)
def colourways_make(request: HttpRequest, shop: Shop, product_id: int) -> HttpResponse:
    """The product page's "Make colourways": one variant per missing colour with a confirmed swatch."""
    item = _product_or_404(shop, product_id)
    page = reverse("console:product", args=[item.pk])
    market = request.POST.get("market", "")
    # The serializer takes a JSON number: a posted number is one; anything else it refuses in words.
    posted = {"market_id": int(market) if market.isdigit() else market} if market else {}
    data = validated(request, api_serializers.ColourwaysRequestSerializer, posted)
    if data is None:
        return back(request, page)
    try:
        plan = colourway_services.colourways_plan(product_id=item.pk, actor=actor_of(request), **data)
    except colourway_services.ColourwayError as exc:
        refused(request, exc)
        return back(request, page)
    messages.success(request, _("%(created)d colourways requested; %(existing)d were made before.")
                     % {"created": len(plan.created), "existing": plan.existing})
    if plan.waiting_for_swatch:
        messages.warning(request, _("Waiting for a confirmed swatch: %(colours)s.")
                         % {"colours": ", ".join(plan.waiting_for_swatch)})
    return back(request, page)


@require_POST
@console_page(Action.REQUEST_VARIANTS)
def variants_request(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Products x templates x markets: the product page's "Generate" and the product list's bulk action."""
    data = validated(request, api_serializers.VariantRequestSerializer, {
        "product_ids": ints(request.POST.getlist("product")), "market_ids": ints(request.POST.getlist("market")),
        "template_slugs": [slug for slug in request.POST.getlist("template") if slug]})
    if data is None:
        return back(request, reverse("console:products"))
    try:
        outcome = planner.variants_request(shop=shop, actor=actor_of(request), **data)
    except (planner.RequestInvalid, ValidationError) as exc:
        refused(request, exc)
        return back(request, reverse("console:products"))
    messages.success(request, _("%(created)d variants requested; %(deferred)d wait for tomorrow's cap.")
                     % {"created": len(outcome.created), "deferred": outcome.deferred})
    for note in outcome.skipped[:5]:
        messages.warning(request, note)
    return back(request, reverse("console:products"))


# --- variants -------------------------------------------------------------------------------------
@require_GET
@console_page()
def variant(request: HttpRequest, shop: Shop, variant_id: int) -> HttpResponse:
    found = selectors.variant_of_shop(shop, variant_id)
    if found is None:
        raise Http404("no such variant")
    report = report_of(found)
    item = ReviewItem.objects.filter(variant=found).exclude(state=ReviewItem.State.DECIDED).first()
    template = template_selectors.template_version(found.template_slug, found.template_version)
    context = page_context(request, shop, "products", variant=found, report=report,
                       history=selectors.variant_history(found),
                       decisions=selectors.variant_decisions(found), review_item=item, template=template,
                       reasons=Decision.Reason.choices)
    return render(request, "console/variant.html", context)


VARIANT_ACTIONS: dict[str, str] = {
    "regenerate": Action.REQUEST_VARIANTS, "retry": Action.REQUEST_VARIANTS,
    "publish": Action.PUBLISH, "revert": Action.PUBLISH,
}


@require_POST
def variant_action(request: HttpRequest, variant_id: int, action: str) -> HttpResponse:
    if action not in VARIANT_ACTIONS:
        raise Http404("no such action")
    return _variant_action(request, variant_id, action)


def _variant_action_view(action: str) -> Any:
    @console_page(VARIANT_ACTIONS[action])
    def run(request: HttpRequest, shop: Shop, variant_id: int) -> HttpResponse:
        found = selectors.variant_of_shop(shop, variant_id)
        if found is None:
            raise Http404("no such variant")
        actor = actor_of(request)
        try:
            if action == "regenerate":
                review_services.variant_regenerate(variant_id=found.pk, actor=actor,
                                                     reason=request.POST.get("reason", ""))
                messages.success(request, _("A new version is being made."))
            elif action == "retry":
                platform_services.variant_retry(variant_id=found.pk, actor=actor)
                messages.success(request, _("It is being made again."))
            elif action == "publish":
                connector_services.variant_publish_request(variant_id=found.pk, actor=actor)
                messages.success(request, _("Publishing to your store."))
            else:
                connector_services.variant_revert_request(variant_id=found.pk, actor=actor)
                messages.success(request, _("Taking it off your store; the original image comes back."))
        except (ValidationError, IllegalTransition) as exc:
            refused(request, exc)
        return back(request, reverse("console:variant", args=[found.pk]))

    return run


_ACTION_VIEWS = {action: _variant_action_view(action) for action in VARIANT_ACTIONS}


def _variant_action(request: HttpRequest, variant_id: int, action: str) -> HttpResponse:
    return _ACTION_VIEWS[action](request, variant_id=variant_id)


# --- activity -------------------------------------------------------------------------------------
@require_GET
@console_page()
def activity(request: HttpRequest, shop: Shop) -> HttpResponse:
    events = selectors.activity(shop)
    variant_ids = {int(e.payload["variant_id"]) for e in events if str(e.payload.get("variant_id", "")).isdigit()}
    failures = selectors.needing_merchant(shop)
    named = selectors.variants_named(shop, variant_ids)
    rows = [(event, named.get(int(event.payload.get("variant_id") or 0))) for event in events]
    context = page_context(request, shop, "activity", rows=rows, failures=failures)
    return render(request, "console/activity.html", context)


