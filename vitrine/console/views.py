"""The merchant app's pages. Thin: reads through ``selectors``, writes through the owning apps' services (the
same ones the REST API calls), permissions through :mod:`vitrine.platform.roles`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from rest_framework import serializers

from vitrine.api import selectors as api_selectors
from vitrine.api import serializers as api_serializers
from vitrine.api import services as api_services
from vitrine.connectors import services as connector_services
from vitrine.console import forms, selectors
from vitrine.console import services as console_services
from vitrine.console.shop import SHOP_SESSION_KEY, actor_of, console_page
from vitrine.platform import retention
from vitrine.platform import selectors as platform_selectors
from vitrine.platform import services as platform_services
from vitrine.platform.lifecycle import IllegalTransition
from vitrine.platform.models import Blob, Market, Provider, Shop
from vitrine.platform.roles import Action, Role, user_can
from vitrine.review import services as review_services
from vitrine.review.models import Decision, ReviewItem
from vitrine.review.selectors import report_of
from vitrine.templates import planner
from vitrine.templates import selectors as template_selectors
from vitrine.templates import services as template_services
from vitrine.templates.models import GlossaryEntry

logger = logging.getLogger(__name__)

PRODUCTS_PER_PAGE = 48


# --- helpers --------------------------------------------------------------------------------------
def _context(request: HttpRequest, shop: Shop | None, page: str, **extra: Any) -> dict[str, Any]:
    can = {action: bool(shop and user_can(request.user, shop, action)) for action in Action.values}
    return {
        "page": page, "shop": shop, "can": can, "role": getattr(request, "shop_role", None),
        "shops": selectors.console_shops(request.user) if not getattr(request, "embedded", False) else [],
        "embedded": getattr(request, "embedded", False), "shopify_api_key": settings.SHOPIFY_API_KEY,
        "shopify_host": getattr(request, "shopify_host", ""),
        "app_bridge_url": settings.SHOPIFY_APP_BRIDGE_URL, **extra,
    }


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Back to the page the form was on (same site only), else ``default``."""
    target = request.POST.get("next") or default
    if not target.startswith("/") or target.startswith("//"):
        target = default
    return HttpResponseRedirect(target)


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        if hasattr(exc, "error_dict"):
            return "; ".join(f"{field}: {' '.join(errs)}" for field, errs in exc.message_dict.items())
        return " ".join(exc.messages)
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict):
        return "; ".join(f"{field}: {message}" for field, message in errors.items())
    return str(exc)


def _refused(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, _("That could not be done: %(reason)s") % {"reason": _error_text(exc)})


def _validated(request: HttpRequest, serializer_class: type[serializers.Serializer], data: dict[str, Any],
               labels: forms.ConsoleForm | None = None, **kwargs: Any) -> dict[str, Any] | None:
    """Check what the merchant sent with the REST API's own serializer (the same rules for both); on errors,
    tell the merchant which field is wrong and return None."""
    serializer = serializer_class(data=data, **kwargs)
    if serializer.is_valid():
        return dict(serializer.validated_data)
    parts = []
    for name, errors in serializer.errors.items():
        field = labels.fields.get(name) if labels is not None else None
        text = " ".join(str(error) for error in (errors if isinstance(errors, list) else [errors]))
        parts.append(f"{field.label}: {text}" if field is not None else text)
    messages.error(request, _("That could not be done: %(reason)s") % {"reason": "; ".join(parts)})
    return None


def _fields(request: HttpRequest, *names: str) -> dict[str, Any]:
    return {name: request.POST[name] for name in names if name in request.POST}


def _policy(request: HttpRequest) -> dict[str, Any] | None:
    # The form turns the posted text into numbers (the API's serializer takes JSON types only).
    form = forms.PolicyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That could not be done: %(reason)s") % {"reason": form.errors_text()})
        return None
    return _validated(request, api_serializers.ShopSettingsSerializer, form.cleaned_data, form, partial=True)


def _ints(values: Iterable[str]) -> list[int]:
    return [int(value) for value in values if str(value).isdigit()]


def _template_titles(shop: Shop) -> dict[str, str]:
    language = get_language() or "en"
    templates = template_selectors.templates_current(shop)
    return {t.slug: template_selectors.template_text(t, language)[0] for t in templates}


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
    if record is None or not selectors.blob_belongs_to_shop(shop_id, sha256):
        raise Http404("no such image")
    response = FileResponse(default_storage.open(record.path, "rb"), content_type=record.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- overview and review queue --------------------------------------------------------------------
@require_GET
@console_page()
def overview(request: HttpRequest, shop: Shop) -> HttpResponse:
    context = _context(request, shop, "overview", overview=selectors.shop_overview(shop),
                       onboarded=console_services.is_onboarded(shop),
                       usage=platform_selectors.usage_by_day(shop, days=7))
    return render(request, "console/overview.html", context)


@require_GET
@console_page()
def review_queue(request: HttpRequest, shop: Shop) -> HttpResponse:
    items = list(selectors.review_waiting(shop)[:200])
    context = _context(request, shop, "review", items=items, titles=_template_titles(shop),
                       reasons=Decision.Reason.choices)
    return render(request, "console/review.html", context)


@require_POST
@console_page(Action.REVIEW)
def review_decide(request: HttpRequest, shop: Shop, item_id: int) -> HttpResponse:
    item = ReviewItem.objects.filter(shop=shop, pk=item_id).first()
    if item is None:
        raise Http404("no such review item")
    data = _validated(request, api_serializers.DecisionInputSerializer,
                      {key: request.POST[key] for key in ("action", "reason_code", "note") if key in request.POST})
    if data is None:
        return _back(request, reverse("console:review"))
    decision = review_services.DecisionInput(action=data["action"], reason_code=data.get("reason_code", ""),
                                             note=data.get("note", ""))
    try:
        review_services.review_item_decide(item_id=item.pk, reviewer=request.user, decision=decision)
    except (review_services.ReviewError, IllegalTransition) as exc:
        _refused(request, exc)
    else:
        messages.success(request, {
            Decision.Action.APPROVE: _("Approved."), Decision.Action.REJECT: _("Rejected."),
            Decision.Action.REGENERATE: _("A new version is being made."),
        }[data["action"]])
    return _back(request, reverse("console:review"))


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
    context = _context(
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
    item = selectors.product_of_shop(shop, product_id)
    if item is None:
        raise Http404("no such product")
    markets = list(shop.markets.filter(enabled=True).order_by("locale"))
    grid = selectors.product_grid(shop, item)
    # While something is being made or published, the grid refreshes itself every few seconds.
    moving = {"requested", "generating", "generated", "publishing"}
    in_progress = any(cell.variant is not None and cell.variant.state in moving for row in grid for cell in row.cells)
    context = _context(request, shop, "products", product=item, grid=grid, in_progress=in_progress,
                       markets=markets, templates=template_selectors.templates_current(shop),
                       titles=_template_titles(shop))
    return render(request, "console/product.html", context)


@require_POST
@console_page(Action.REQUEST_VARIANTS)
def variants_request(request: HttpRequest, shop: Shop) -> HttpResponse:
    """Products x templates x markets: the product page's "Generate" and the product list's bulk action."""
    data = _validated(request, api_serializers.VariantRequestSerializer, {
        "product_ids": _ints(request.POST.getlist("product")), "market_ids": _ints(request.POST.getlist("market")),
        "template_slugs": [slug for slug in request.POST.getlist("template") if slug]})
    if data is None:
        return _back(request, reverse("console:products"))
    try:
        outcome = planner.variants_request(shop=shop, actor=actor_of(request), **data)
    except (planner.RequestInvalid, ValidationError) as exc:
        _refused(request, exc)
        return _back(request, reverse("console:products"))
    created = len(outcome.created)
    deferred = len(getattr(outcome, "deferred", []) or [])
    messages.success(request, _("%(created)d variants requested; %(deferred)d wait for tomorrow's cap.")
                     % {"created": created, "deferred": deferred})
    for note in getattr(outcome, "skipped", [])[:5]:
        messages.warning(request, note)
    return _back(request, reverse("console:products"))


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
    context = _context(request, shop, "products", variant=found, report=report,
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
            _refused(request, exc)
        return _back(request, reverse("console:variant", args=[found.pk]))

    return run


_ACTION_VIEWS = {action: _variant_action_view(action) for action in VARIANT_ACTIONS}


def _variant_action(request: HttpRequest, variant_id: int, action: str) -> HttpResponse:
    return _ACTION_VIEWS[action](request, variant_id=variant_id)


# --- onboarding -----------------------------------------------------------------------------------
ONBOARDING_STEPS = ("markets", "templates", "policy")


@console_page()
def onboarding(request: HttpRequest, shop: Shop, step: str = "markets") -> HttpResponse:
    if step not in ONBOARDING_STEPS:
        raise Http404("no such step")
    if request.method == "POST":
        if not user_can(request.user, shop, Action.EDIT_SETTINGS):
            raise PermissionDenied
        return _onboarding_save(request, shop, step)
    markets = list(shop.markets.order_by("locale"))
    context = _context(request, shop, "onboarding", step=step, steps=ONBOARDING_STEPS, markets=markets,
                       market_form=forms.MarketForm())
    if step == "templates":
        enabled = [m for m in markets if m.enabled]
        samples = selectors.first_products(shop)
        sample_image = next((p.live_images[0] for p in samples if p.live_images), None)
        chosen = selectors.rule_market_ids(shop)
        previews = selectors.preview_variants(shop, samples)
        context["market_templates"] = [
            (market, [(t, (t.slug, market.pk) in chosen, previews.get((t.slug, market.pk)))
                      for t in selectors.templates_for_market(shop, market)])
            for market in enabled
        ]
        context.update(sample_image=sample_image, sample_product=samples[0] if samples else None)
    if step == "policy":
        mode, min_score = platform_services.review_policy_of(shop)
        context["policy_form"] = forms.PolicyForm(initial={
            "review_mode": mode, "auto_publish_min_score": min_score, "daily_variant_cap": shop.daily_variant_cap,
        })
    return render(request, "console/onboarding.html", context)


def _onboarding_save(request: HttpRequest, shop: Shop, step: str) -> HttpResponse:
    actor = actor_of(request)
    here = reverse("console:onboarding-step", args=[step])
    try:
        if step == "markets":
            if request.POST.get("add"):
                data = _validated(request, api_serializers.MarketSerializer, _fields(request, "locale", "name"),
                                  forms.MarketForm())
                if data is not None:
                    platform_services.market_create(shop=shop, actor=actor, **data)
                return HttpResponseRedirect(here)
            enabled = set(_ints(request.POST.getlist("enabled")))
            if not enabled:
                messages.error(request, _("Choose at least one market."))
                return HttpResponseRedirect(here)
            for market in shop.markets.all():
                if market.enabled != (market.pk in enabled):
                    platform_services.market_update(shop=shop, market_id=market.pk, actor=actor,
                                                    enabled=market.pk in enabled)
            return HttpResponseRedirect(reverse("console:onboarding-step", args=["templates"]))
        if step == "templates":
            chosen: dict[str, list[Market]] = {}
            markets = {m.pk: m for m in shop.markets.all()}
            for value in request.POST.getlist("choice"):
                slug, _sep, market_id = value.rpartition(":")
                if market_id.isdigit() and int(market_id) in markets:
                    chosen.setdefault(slug, []).append(markets[int(market_id)])
            if request.POST.get("preview"):
                return _onboarding_preview(request, shop, request.POST["preview"], markets)
            existing = selectors.rules_by_template(shop)
            for slug, rule_markets in chosen.items():
                template_services.rule_set(shop=shop, template_slug=slug, markets=rule_markets)
            for slug, rule in existing.items():
                if slug not in chosen:
                    template_services.rule_set(shop=shop, template_slug=slug, markets=list(rule.markets.all()),
                                               product_types=rule.product_types, tags=rule.tags,
                                               vendors=rule.vendors, enabled=False)
            return HttpResponseRedirect(reverse("console:onboarding-step", args=["policy"]))
        data = _policy(request)
        if data is None:
            return HttpResponseRedirect(here)
        platform_services.shop_settings_update(shop=shop, actor=actor, **data)
        console_services.onboarding_complete(shop=shop, actor=actor)
        messages.success(request, _("You are set up. New products get their variants automatically."))
        return HttpResponseRedirect(reverse("console:overview"))
    except (ValidationError, template_services.RuleInvalid) as exc:
        _refused(request, exc)
        return HttpResponseRedirect(here)


def _onboarding_preview(request: HttpRequest, shop: Shop, value: str, markets: dict[int, Market]) -> HttpResponse:
    """Make one variant of the merchant's first product, to see the template on their own photo."""
    slug, _sep, market_id = value.rpartition(":")
    samples = selectors.first_products(shop, limit=1)
    if samples and market_id.isdigit() and int(market_id) in markets:
        try:
            planner.variants_request(shop=shop, product_ids=[samples[0].pk], template_slugs=[slug],
                                               market_ids=[int(market_id)], actor=actor_of(request))
            messages.success(request, _("The preview is being made; it appears here when ready."))
        except (planner.RequestInvalid, ValidationError) as exc:
            _refused(request, exc)
    return HttpResponseRedirect(reverse("console:onboarding-step", args=["templates"]))


# --- glossary -------------------------------------------------------------------------------------
@console_page()
def glossary(request: HttpRequest, shop: Shop) -> HttpResponse:
    if request.method == "POST":
        if not user_can(request.user, shop, Action.EDIT_SETTINGS):
            raise PermissionDenied
        data = _validated(request, api_serializers.GlossaryEntrySerializer,
                          _fields(request, "source_text", "locale", "translation"), forms.GlossaryForm())
        if data is not None:
            try:
                template_services.glossary_set(shop=shop, **data)
                messages.success(request, _("Saved."))
            except (ValidationError, ValueError) as exc:
                _refused(request, exc)
        return HttpResponseRedirect(reverse("console:glossary"))
    query = request.GET.get("q", "")
    context = _context(request, shop, "glossary", entries=list(selectors.glossary_entries(shop, query)[:500]),
                       query=query, form=forms.GlossaryForm(), import_form=forms.GlossaryImportForm())
    return render(request, "console/glossary.html", context)


@require_POST
@console_page(Action.EDIT_SETTINGS)
def glossary_delete(request: HttpRequest, shop: Shop, entry_id: int) -> HttpResponse:
    try:
        template_services.glossary_delete(shop=shop, entry_id=entry_id)
    except GlossaryEntry.DoesNotExist:
        raise Http404("no such entry") from None
    messages.success(request, _("Deleted."))
    return HttpResponseRedirect(reverse("console:glossary"))


@require_POST
@console_page(Action.EDIT_SETTINGS)
def glossary_import(request: HttpRequest, shop: Shop) -> HttpResponse:
    data = _validated(request, api_serializers.GlossaryImportSerializer, request.FILES.dict(),
                      forms.GlossaryImportForm())
    if data is None:
        return HttpResponseRedirect(reverse("console:glossary"))
    try:
        result = template_services.glossary_import_csv(shop=shop, data=data["file"].read())
    except (ValidationError, ValueError) as exc:
        _refused(request, exc)
        return HttpResponseRedirect(reverse("console:glossary"))
    messages.success(request, _("Imported: %(created)d new, %(updated)d updated.")
                     % {"created": result.created, "updated": result.updated})
    for error in result.errors[:10]:
        messages.warning(request, error)
    return HttpResponseRedirect(reverse("console:glossary"))


@require_GET
@console_page()
def glossary_export(request: HttpRequest, shop: Shop) -> HttpResponse:
    response = HttpResponse(template_selectors.glossary_csv(shop), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="glossary.csv"'
    return response


# --- team -----------------------------------------------------------------------------------------
@console_page()
def team(request: HttpRequest, shop: Shop) -> HttpResponse:
    new_token = None
    if request.method == "POST":
        new_token = _team_post(request, shop)
        if new_token is None:
            return HttpResponseRedirect(reverse("console:team"))
    tokens = api_selectors.api_tokens_of(shop)
    if not user_can(request.user, shop, Action.MANAGE_TEAM):
        tokens = tokens.filter(user=request.user)
    context = _context(request, shop, "team", memberships=list(selectors.memberships(shop)),
                       tokens=list(tokens.select_related("user")), new_token=new_token,
                       invite_form=forms.InviteForm(), token_form=forms.TokenForm(), roles=Role.choices,
                       role_actions=console_services.role_table())
    return render(request, "console/team.html", context)


def _team_post(request: HttpRequest, shop: Shop) -> str | None:
    """Team changes; returns a new API token's value (shown once) or None."""
    actor, what = actor_of(request), request.POST.get("do", "")
    try:
        if what == "token":
            fields = _fields(request, "name", "role")
            if not fields.get("role"):
                fields.pop("role", None)  # the API's default: the same role as mine
            data = _validated(request, api_serializers.ApiTokenSerializer, fields, forms.TokenForm())
            if data is None:
                return None
            _row, raw = api_services.api_token_create(shop=shop, user=request.user, role=data.get("role"),
                                                      name=data.get("name", ""), actor=actor)
            messages.success(request, _("Token created. Copy it now: it is not shown again."))
            return raw
        if what == "revoke":
            token_id = int(request.POST.get("token", "0") or 0)
            own = api_selectors.api_tokens_of(shop).filter(pk=token_id, user=request.user).exists()
            if not own and not user_can(request.user, shop, Action.MANAGE_TEAM):
                raise PermissionDenied
            api_services.api_token_revoke(shop=shop, token_id=token_id, actor=actor)
            messages.success(request, _("Token revoked."))
            return None
        if not user_can(request.user, shop, Action.MANAGE_TEAM):
            raise PermissionDenied
        if what == "invite":
            data = _validated(request, api_serializers.InviteSerializer, _fields(request, "email", "role"),
                              forms.InviteForm())
            if data is None:
                return None
            platform_services.membership_invite(shop=shop, actor=actor, **data)
            messages.success(request, _("Invited."))
        elif what == "role":
            platform_services.membership_set_role(shop=shop, membership_id=int(request.POST.get("membership", 0)),
                                                  role=request.POST.get("role", ""), actor=actor)
            messages.success(request, _("Role changed."))
        elif what == "remove":
            platform_services.membership_remove(shop=shop, membership_id=int(request.POST.get("membership", 0)),
                                                actor=actor)
            messages.success(request, _("Removed from the shop."))
    except ValidationError as exc:
        _refused(request, exc)
    except (ValueError, LookupError):
        raise Http404("no such member or token") from None
    return None


# --- activity -------------------------------------------------------------------------------------
@require_GET
@console_page()
def activity(request: HttpRequest, shop: Shop) -> HttpResponse:
    events = selectors.activity(shop)
    variant_ids = {int(e.payload["variant_id"]) for e in events if str(e.payload.get("variant_id", "")).isdigit()}
    failures = selectors.shop_overview(shop).failures
    named = selectors.variants_named(shop, variant_ids)
    rows = [(event, named.get(int(event.payload.get("variant_id") or 0))) for event in events]
    context = _context(request, shop, "activity", rows=rows, failures=failures)
    return render(request, "console/activity.html", context)


# --- settings -------------------------------------------------------------------------------------
@console_page()
def shop_settings(request: HttpRequest, shop: Shop) -> HttpResponse:
    if request.method == "POST":
        return _settings_save(request, shop)
    mode, min_score = platform_services.review_policy_of(shop)
    policy_form = forms.PolicyForm(initial={"review_mode": mode, "auto_publish_min_score": min_score,
                                            "daily_variant_cap": shop.daily_variant_cap})
    retention_form = forms.RetentionForm(initial=retention.retention_of(shop))
    context = _context(request, shop, "settings", policy_form=policy_form, retention_form=retention_form,
                       connection=console_services.connection_of(shop), markets=list(shop.markets.order_by("locale")),
                       market_form=forms.MarketForm(), Provider=Provider)
    return render(request, "console/settings.html", context)


def _settings_save(request: HttpRequest, shop: Shop) -> HttpResponse:
    what, actor = request.POST.get("do", ""), actor_of(request)
    needed = Action.MANAGE_CONNECTION if what == "retention" else Action.EDIT_SETTINGS
    if not user_can(request.user, shop, needed):
        raise PermissionDenied
    here = reverse("console:settings")
    try:
        if what == "policy":
            data = _policy(request)
            if data is None:
                return HttpResponseRedirect(here)
            platform_services.shop_settings_update(shop=shop, actor=actor, **data)
        elif what == "retention":
            form = forms.RetentionForm(request.POST)
            if not form.is_valid():
                messages.error(request, form.errors_text())
                return HttpResponseRedirect(here)
            retention.retention_set(shop=shop, actor=actor, **form.cleaned_data)
        elif what == "market-add":
            data = _validated(request, api_serializers.MarketSerializer, _fields(request, "locale", "name"),
                              forms.MarketForm())
            if data is None:
                return HttpResponseRedirect(here)
            platform_services.market_create(shop=shop, actor=actor, **data)
        elif what == "market-toggle":
            market = shop.markets.filter(pk=request.POST.get("market", "")).first()
            if market is None:
                raise Http404("no such market")
            platform_services.market_update(shop=shop, market_id=market.pk, actor=actor, enabled=not market.enabled)
        else:
            raise Http404("no such setting")
    except ValidationError as exc:
        _refused(request, exc)
        return HttpResponseRedirect(here)
    messages.success(request, _("Saved."))
    return HttpResponseRedirect(here)
