"""The merchant app's shop set-up pages: onboarding, the glossary, the team and the shop's settings. Thin, like
:mod:`vitrine.console.views`."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from vitrine.api import selectors as api_selectors
from vitrine.api import services as api_services
from vitrine.api import setup_serializers
from vitrine.console import forms, selectors
from vitrine.console import services as console_services
from vitrine.console.pages import (
    ints,
    page_context,
    posted_fields,
    posted_policy,
    refused,
    validated,
)
from vitrine.console.shop import actor_of, can, console_page
from vitrine.platform import merchants, retention
from vitrine.platform.models import Market, Provider, Shop
from vitrine.platform.roles import Action, Role
from vitrine.templates import planner
from vitrine.templates import selectors as template_selectors
from vitrine.templates import services as template_services
from vitrine.templates.models import GlossaryEntry

# --- onboarding -----------------------------------------------------------------------------------
ONBOARDING_STEPS = ("markets", "templates", "policy")


@console_page()
def onboarding(request: HttpRequest, shop: Shop, step: str = "markets") -> HttpResponse:
    if step not in ONBOARDING_STEPS:
        raise Http404("no such step")
    if request.method == "POST":
        if not can(request, Action.EDIT_SETTINGS):
            raise PermissionDenied
        return _onboarding_save(request, shop, step)
    markets = list(shop.markets.order_by("locale"))
    context = page_context(request, shop, "onboarding", step=step, steps=ONBOARDING_STEPS, markets=markets,
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
        mode, min_score = merchants.review_policy_of(shop)
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
                data = validated(request, setup_serializers.MarketSerializer, posted_fields(request, "locale", "name"),
                                  forms.MarketForm())
                if data is not None:
                    merchants.market_create(shop=shop, actor=actor, **data)
                return HttpResponseRedirect(here)
            enabled = set(ints(request.POST.getlist("enabled")))
            if not enabled:
                messages.error(request, _("Choose at least one market."))
                return HttpResponseRedirect(here)
            for market in shop.markets.all():
                if market.enabled != (market.pk in enabled):
                    merchants.market_update(shop=shop, market_id=market.pk, actor=actor,
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
        data = posted_policy(request)
        if data is None:
            return HttpResponseRedirect(here)
        merchants.shop_settings_update(shop=shop, actor=actor, **data)
        console_services.onboarding_complete(shop=shop, actor=actor)
        messages.success(request, _("You are set up. New products get their variants automatically."))
        return HttpResponseRedirect(reverse("console:overview"))
    except (ValidationError, template_services.RuleInvalid) as exc:
        refused(request, exc)
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
            refused(request, exc)
    return HttpResponseRedirect(reverse("console:onboarding-step", args=["templates"]))


# --- glossary -------------------------------------------------------------------------------------
@console_page()
def glossary(request: HttpRequest, shop: Shop) -> HttpResponse:
    if request.method == "POST":
        if not can(request, Action.EDIT_SETTINGS):
            raise PermissionDenied
        data = validated(request, setup_serializers.GlossaryEntrySerializer,
                          posted_fields(request, "source_text", "locale", "translation"), forms.GlossaryForm())
        if data is not None:
            try:
                template_services.glossary_set(shop=shop, **data)
                messages.success(request, _("Saved."))
            except (ValidationError, ValueError) as exc:
                refused(request, exc)
        return HttpResponseRedirect(reverse("console:glossary"))
    query = request.GET.get("q", "")
    context = page_context(request, shop, "glossary", entries=list(selectors.glossary_entries(shop, query)[:500]),
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
    data = validated(request, setup_serializers.GlossaryImportSerializer, request.FILES.dict(),
                      forms.GlossaryImportForm())
    if data is None:
        return HttpResponseRedirect(reverse("console:glossary"))
    try:
        result = template_services.glossary_import_csv(shop=shop, data=data["file"].read())
    except (ValidationError, ValueError) as exc:
        refused(request, exc)
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
    if not can(request, Action.MANAGE_TEAM):
        tokens = tokens.filter(user=request.user)
    context = page_context(request, shop, "team", memberships=list(selectors.memberships(shop)),
                       tokens=list(tokens.select_related("user")), new_token=new_token,
                       invite_form=forms.InviteForm(), token_form=forms.TokenForm(), roles=Role.choices,
                       role_actions=console_services.role_table())
    return render(request, "console/team.html", context)


def _team_post(request: HttpRequest, shop: Shop) -> str | None:
    """Team changes; returns a new API token's value (shown once) or None."""
    actor, what = actor_of(request), request.POST.get("do", "")
    try:
        if what == "token":
            fields = posted_fields(request, "name", "role")
            if not fields.get("role"):
                fields.pop("role", None)  # the API's default: the same role as mine
            data = validated(request, setup_serializers.ApiTokenSerializer, fields, forms.TokenForm())
            if data is None:
                return None
            _row, raw = api_services.api_token_create(shop=shop, user=request.user, role=data.get("role"),
                                                      name=data.get("name", ""), actor=actor)
            messages.success(request, _("Token created. Copy it now: it is not shown again."))
            return raw
        if what == "revoke":
            token_id = int(request.POST.get("token", "0") or 0)
            own = api_selectors.api_tokens_of(shop).filter(pk=token_id, user=request.user).exists()
            if not own and not can(request, Action.MANAGE_TEAM):
                raise PermissionDenied
            api_services.api_token_revoke(shop=shop, token_id=token_id, actor=actor)
            messages.success(request, _("Token revoked."))
            return None
        if not can(request, Action.MANAGE_TEAM):
            raise PermissionDenied
        if what == "invite":
            data = validated(request, setup_serializers.InviteSerializer, posted_fields(request, "email", "role"),
                              forms.InviteForm())
            if data is None:
                return None
            merchants.membership_invite(shop=shop, actor=actor, **data)
            messages.success(request, _("Invited."))
        elif what == "role":
            merchants.membership_set_role(shop=shop, membership_id=int(request.POST.get("membership", 0)),
                                                  role=request.POST.get("role", ""), actor=actor)
            messages.success(request, _("Role changed."))
        elif what == "remove":
            merchants.membership_remove(shop=shop, membership_id=int(request.POST.get("membership", 0)),
                                                actor=actor)
            messages.success(request, _("Removed from the shop."))
    except ValidationError as exc:
        refused(request, exc)
    except (ValueError, LookupError):
        raise Http404("no such member or token") from None
    return None


# --- settings -------------------------------------------------------------------------------------
@console_page()
def shop_settings(request: HttpRequest, shop: Shop) -> HttpResponse:
    if request.method == "POST":
        return _settings_save(request, shop)
    mode, min_score = merchants.review_policy_of(shop)
    policy_form = forms.PolicyForm(initial={"review_mode": mode, "auto_publish_min_score": min_score,
                                            "daily_variant_cap": shop.daily_variant_cap})
    retention_form = forms.RetentionForm(initial=retention.retention_of(shop))
    context = page_context(request, shop, "settings", policy_form=policy_form, retention_form=retention_form,
                       connection=console_services.connection_of(shop), markets=list(shop.markets.order_by("locale")),
                       market_form=forms.MarketForm(), Provider=Provider)
    return render(request, "console/settings.html", context)


def _settings_save(request: HttpRequest, shop: Shop) -> HttpResponse:
    what, actor = request.POST.get("do", ""), actor_of(request)
    needed = Action.MANAGE_CONNECTION if what == "retention" else Action.EDIT_SETTINGS
    if not can(request, needed):
        raise PermissionDenied
    here = reverse("console:settings")
    try:
        if what == "policy":
            data = posted_policy(request)
            if data is None:
                return HttpResponseRedirect(here)
            merchants.shop_settings_update(shop=shop, actor=actor, **data)
        elif what == "retention":
            form = forms.RetentionForm(request.POST)
            if not form.is_valid():
                messages.error(request, form.errors_text())
                return HttpResponseRedirect(here)
            retention.retention_set(shop=shop, actor=actor, **form.cleaned_data)
        elif what == "market-add":
            data = validated(request, setup_serializers.MarketSerializer, posted_fields(request, "locale", "name"),
                              forms.MarketForm())
            if data is None:
                return HttpResponseRedirect(here)
            merchants.market_create(shop=shop, actor=actor, **data)
        elif what == "market-toggle":
            market = shop.markets.filter(pk=request.POST.get("market", "")).first()
            if market is None:
                raise Http404("no such market")
            merchants.market_update(shop=shop, market_id=market.pk, actor=actor, enabled=not market.enabled)
        else:
            raise Http404("no such setting")
    except ValidationError as exc:
        refused(request, exc)
        return HttpResponseRedirect(here)
    messages.success(request, _("Saved."))
    return HttpResponseRedirect(here)
