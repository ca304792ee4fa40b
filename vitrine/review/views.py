"""The reviewer's pages inside the admin: queue, item, decisions, bulk approval, metrics.

The review admin (admin.py) routes here; every view checks the permission it needs and looks items up
only among the shops the user may see, so another shop's item is a 404.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from vitrine.review import item_page_rows, selectors, services
from vitrine.review.forms import (
    BulkApproveForm,
    BulkConfirmForm,
    DecisionForm,
    MetricsForm,
    QueueFilterForm,
    bulk_approve_default_score,
)
from vitrine.review.models import Decision, ReviewItem
from vitrine.review.selectors import QueueFilters

if TYPE_CHECKING:
    from vitrine.review.admin import ReviewItemAdmin

# Most items one bulk approval takes; the confirmation says when more qualify.
BULK_APPROVE_LIMIT = 500
QUEUE_LIST_LIMIT = 100
DONE_WORDS = {
    Decision.Action.APPROVE: "Approved",
    Decision.Action.REJECT: "Rejected",
    Decision.Action.REGENERATE: "Asked to regenerate",
}

# Longest side of a queue thumbnail, in pixels (shown at half that, sharp on high-density screens).
THUMB_SIDE = 160


def _require(request: HttpRequest, permission: str) -> None:
    if not request.user.has_perm(permission):
        raise PermissionDenied(f"you need the {permission} permission")


def _filters(request: HttpRequest) -> QueueFilters:
    return QueueFilters.from_query(request.GET)


def _with_query(url: str, filters: QueueFilters) -> str:
    query = filters.as_query()
    return f"{url}?{urlencode(query)}" if query else url


def _item_url(item_id: int, filters: QueueFilters) -> str:
    return _with_query(reverse("admin:review_item", args=[item_id]), filters)


def _queue_url(filters: QueueFilters) -> str:
    return _with_query(reverse("admin:review_reviewitem_changelist"), filters)


def _context(request: HttpRequest, admin: ReviewItemAdmin, title: str, **extra: Any) -> dict[str, Any]:
    return {**admin.admin_site.each_context(request), "opts": admin.model._meta, "title": title, **extra}


def _focused_context(admin: ReviewItemAdmin, title: str, **extra: Any) -> dict[str, Any]:
    """The admin chrome without the navigation sidebar: the item page needs the width for images, and
    skipping the app list keeps the page the reviewer waits for quick."""
    site = admin.admin_site
    return {"site_title": site.site_title, "site_header": site.site_header, "site_url": site.site_url,
            "has_permission": True, "available_apps": [], "is_popup": False, "is_nav_sidebar_enabled": False,
            "opts": admin.model._meta, "title": title, **extra}


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


# --- queue ----------------------------------------------------------------------------------------
@require_GET
def queue(request: HttpRequest, admin: ReviewItemAdmin) -> HttpResponse:
    _require(request, "review.view_reviewitem")
    form = QueueFilterForm(request.GET, user=request.user)
    filters = form.filters()
    items = (
        selectors.pending_items(request.user, filters)
        .select_related("variant__market", "variant__source_image__product", "shop", "claimed_by")[:QUEUE_LIST_LIMIT]
    )
    bulk_form = BulkApproveForm(request.GET if "min_score" in request.GET else None,
                                initial={"min_score": bulk_approve_default_score()})
    min_score = bulk_form.cleaned_data["min_score"] if bulk_form.is_bound and bulk_form.is_valid() else (
        bulk_approve_default_score())
    context = _context(
        request, admin, "Review queue",
        filter_form=form,
        filters=filters,
        filter_query=urlencode(filters.as_query()),
        counts=selectors.queue_counts(request.user, filters),
        items=items,
        now=timezone.now(),
        bulk_form=bulk_form,
        bulk_min_score=min_score,
        bulk_eligible=selectors.bulk_approve_candidates(request.user, filters, min_score).count(),
        can_decide=request.user.has_perm("review.decide_reviewitem"),
        can_bulk=request.user.has_perm("review.bulk_approve_reviewitem"),
        can_metrics=request.user.has_perm("review.view_review_metrics"),
    )
    return TemplateResponse(request, "review/queue.html", context)


@require_POST
def claim_next(request: HttpRequest, admin: ReviewItemAdmin) -> HttpResponse:
    _require(request, "review.decide_reviewitem")
    filters = _filters(request)
    item = services.review_item_claim_next(reviewer=request.user, filters=filters)
    if item is None:
        messages.info(request, "Nothing left to review here.")
        return HttpResponseRedirect(_queue_url(filters), status=303)
    return HttpResponseRedirect(_item_url(item.pk, filters), status=303)


# --- one item -------------------------------------------------------------------------------------
@require_GET
def item_page(request: HttpRequest, admin: ReviewItemAdmin, item_id: int) -> HttpResponse:
    _require(request, "review.view_reviewitem")
    item = get_object_or_404(
        selectors.review_items_visible_to(request.user).select_related(
            "shop", "claimed_by", "variant__market", "variant__source_image__product", "variant__output",
            "variant__source_image__image",
        ),
        pk=item_id,
    )
    filters = _filters(request)
    variant = item.variant
    report = selectors.report_of(variant)
    artefacts = selectors.artefacts_of(variant.pk)
    source = variant.source_image
    original_size = (source.width, source.height)
    output = variant.output
    output_size = (output.width or source.width, output.height or source.height) if output else original_size
    regions = item_page_rows.region_rows(report, original_size, output_size) if report is not None else []
    candidate = selectors.next_item_peek(request.user, filters, exclude_ids=(item.pk,))
    decided = item.decisions.select_related("reviewer").last() if item.state == ReviewItem.State.DECIDED else None
    context = _focused_context(
        admin, f"Review: {source.product} for {variant.market}",
        item=item,
        variant=variant,
        source=source,
        product=source.product,
        report=report,
        fidelity_error=(variant.fidelity or {}).get("error"),
        measures=item_page_rows.measure_rows(report) if report is not None else [],
        translations=item_page_rows.translation_rows(variant),
        regions=regions,
        regions_json=json.dumps([
            {"number": r["number"], "original": r["original"].__dict__, "variant": r["variant"].__dict__}
            for r in regions
        ]),
        heatmap_rect=item_page_rows.Rect.of(report.frame.box, original_size) if report is not None else None,
        artefacts=artefacts,
        original_size=original_size,
        output_size=output_size,
        original_aspect=f"{original_size[0] / max(1, original_size[1]):.4f}",
        output_aspect=f"{output_size[0] / max(1, output_size[1]):.4f}",
        params_json=json.dumps(variant.params, indent=2, ensure_ascii=False, sort_keys=True),
        prompt=variant.params.get("prompt", ""),
        negative_prompt=variant.params.get("negative_prompt", ""),
        claim=item_page_rows.claim_status(item, request.user),
        decided=decided,
        can_decide=request.user.has_perm("review.decide_reviewitem") and item.state != ReviewItem.State.DECIDED,
        reasons=list(enumerate(Decision.Reason.choices, start=1)),
        filters=filters,
        decide_url=_with_query(reverse("admin:review_decide", args=[item.pk]), filters),
        queue_url=_queue_url(filters),
        previous_url=_with_query(reverse("admin:review_step", args=[item.pk, "previous"]), filters),
        next_url=_with_query(reverse("admin:review_step", args=[item.pk, "next"]), filters),
        prefetch_url=_item_url(candidate.pk, filters) if candidate else "",
        prefetch_item_id=candidate.pk if candidate else "",
    )
    return TemplateResponse(request, "review/item.html", context)


@require_GET
def step(request: HttpRequest, admin: ReviewItemAdmin, item_id: str, direction: str) -> HttpResponse:
    """j / k: the item just after or before this one in queue order (looked up only when asked for, so
    rendering an item page stays cheap)."""
    _require(request, "review.view_reviewitem")
    item = get_object_or_404(selectors.review_items_visible_to(request.user), pk=int(item_id))
    filters = _filters(request)
    previous_id, next_id = selectors.item_neighbours(request.user, item, filters)
    target = next_id if direction == "next" else previous_id
    if target is None:
        messages.info(request, f"There is no {direction} item in the queue.")
        target = item.pk
    return HttpResponseRedirect(_item_url(int(target), filters))


@require_POST
def decide(request: HttpRequest, admin: ReviewItemAdmin, item_id: int) -> HttpResponse:
    _require(request, "review.decide_reviewitem")
    if not selectors.review_items_visible_to(request.user).filter(pk=item_id).exists():
        raise Http404("no such review item")
    filters = _filters(request)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        return _refused(request, item_id, filters, f"The decision was not recorded: {problems}", status=400)
    try:
        record = services.review_item_decide(item_id=item_id, reviewer=request.user, decision=form.decision())
    except services.InvalidDecision as exc:
        return _refused(request, item_id, filters, f"The decision was not recorded: {exc}", status=400)
    except services.ReviewError as exc:
        return _refused(request, item_id, filters, f"The decision was not recorded: {exc}", status=409)
    done = f"{DONE_WORDS[record.action]} variant {record.variant_id}."
    following = services.review_item_claim_next(reviewer=request.user, filters=filters)
    if _wants_json(request):
        then = (
            selectors.next_item_peek(request.user, filters, exclude_ids=(following.pk,)) if following else None
        )
        return JsonResponse({
            "message": done,
            "decision_id": record.pk,
            "next_item_id": following.pk if following else None,
            "next_url": _item_url(following.pk, filters) if following else _queue_url(filters),
            "claim_text": f"Claimed by you until {following.claim_expires_at:%H:%M} UTC" if following else "",
            "prefetch_item_id": then.pk if then else None,
            "prefetch_url": _item_url(then.pk, filters) if then else None,
        })
    messages.success(request, done)
    if following is None:
        messages.info(request, "Nothing left to review here.")
        return HttpResponseRedirect(_queue_url(filters), status=303)
    return HttpResponseRedirect(_item_url(following.pk, filters), status=303)


def _refused(request: HttpRequest, item_id: int, filters: QueueFilters, message: str, *, status: int) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"error": message}, status=status)
    messages.error(request, message)
    return HttpResponseRedirect(_item_url(item_id, filters), status=303)


# --- bulk approval --------------------------------------------------------------------------------
@require_POST
def bulk_approve(request: HttpRequest, admin: ReviewItemAdmin) -> HttpResponse:
    """The confirmation page: which items a bulk approval at the chosen score would take, and how many."""
    _require(request, "review.bulk_approve_reviewitem")
    filters = _filters(request)
    form = BulkApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Bulk approval needs a score threshold between 0 and 1.")
        return HttpResponseRedirect(_queue_url(filters), status=303)
    min_score = form.cleaned_data["min_score"]
    candidates = selectors.bulk_approve_candidates(request.user, filters, min_score)
    total = candidates.count()
    chosen = list(candidates[:BULK_APPROVE_LIMIT])
    context = _context(
        request, admin, "Confirm bulk approval",
        items=chosen,
        count=len(chosen),
        total=total,
        min_score=min_score,
        item_ids=",".join(str(item.pk) for item in chosen),
        filters=filters,
        confirm_url=_with_query(reverse("admin:review_bulk_approve_confirm"), filters),
        queue_url=_queue_url(filters),
    )
    return TemplateResponse(request, "review/bulk_confirm.html", context)


@require_POST
def bulk_approve_confirm(request: HttpRequest, admin: ReviewItemAdmin) -> HttpResponse:
    _require(request, "review.bulk_approve_reviewitem")
    filters = _filters(request)
    form = BulkConfirmForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        messages.error(request, f"Nothing was approved: {problems}")
        return HttpResponseRedirect(_queue_url(filters), status=303)
    data = form.cleaned_data
    seconds = data["seconds_spent"]
    result = services.review_items_bulk_approve(
        reviewer=request.user, item_ids=data["item_ids"], min_score=data["min_score"],
        seconds_spent=0.0 if seconds is None or not math.isfinite(seconds) else seconds,
    )
    messages.success(request, f"Approved {len(result.approved)} item(s) with verdict pass and score "
                              f"≥ {data['min_score']:.2f}.")
    for item_id, why in list(result.skipped.items())[:20]:
        messages.warning(request, f"Skipped item {item_id}: {why}")
    return HttpResponseRedirect(_queue_url(filters), status=303)


# --- thumbnails -----------------------------------------------------------------------------------
@require_GET
def thumbnail(request: HttpRequest, admin: ReviewItemAdmin, item_id: int) -> HttpResponse:
    """The variant's output (else the original) as a small JPEG for the queue list."""
    _require(request, "review.view_reviewitem")
    item = get_object_or_404(
        selectors.review_items_visible_to(request.user).select_related("variant__source_image"), pk=item_id
    )
    variant = item.variant
    blob_id = variant.output_id or variant.source_image.image_id
    jpeg = selectors.thumbnail_jpeg(blob_id, THUMB_SIDE)
    response = HttpResponse(jpeg, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- metrics --------------------------------------------------------------------------------------
@require_GET
def metrics(request: HttpRequest, admin: ReviewItemAdmin) -> HttpResponse:
    _require(request, "review.view_review_metrics")
    form = MetricsForm(request.GET or QueryDict("days=30"))
    days = 30
    if form.is_valid() and form.cleaned_data["days"]:
        days = form.cleaned_data["days"]
    context = _context(request, admin, "Review metrics", form=form, days=days,
                       metrics=selectors.review_metrics(request.user, days=days))
    return TemplateResponse(request, "review/metrics.html", context)
