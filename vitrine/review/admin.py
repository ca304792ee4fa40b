"""The review queue in the admin: the item list is the reviewer's queue page; decisions are read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, re_path, reverse

from vitrine.platform import selectors as platform_selectors
from vitrine.review import views
from vitrine.review.models import Decision, ReviewItem


@admin.register(ReviewItem)
class ReviewItemAdmin(admin.ModelAdmin):
    """Items are only changed through decisions, so the admin's add/change/delete pages are off; the
    change list is the queue page and an item's change link opens its review page."""

    def get_urls(self) -> list[URLPattern]:
        def wrap(view: Any, name: str, route: str) -> URLPattern:
            make = re_path if route.startswith("^") else path
            return make(route, self.admin_site.admin_view(lambda request, **kw: view(request, self, **kw)),
                        name=name)

        return [
            wrap(views.claim_next, "review_next", "next/"),
            wrap(views.item_page, "review_item", "<int:item_id>/review/"),
            wrap(views.decide, "review_decide", "<int:item_id>/decide/"),
            wrap(views.step, "review_step", r"^(?P<item_id>[0-9]+)/(?P<direction>next|previous)/$"),
            wrap(views.bulk_approve, "review_bulk_approve", "bulk-approve/"),
            wrap(views.bulk_approve_confirm, "review_bulk_approve_confirm", "bulk-approve/confirm/"),
            wrap(views.metrics, "review_metrics", "metrics/"),
            wrap(views.thumbnail, "review_thumbnail", "<int:item_id>/thumbnail.jpg"),
            *super().get_urls(),
        ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReviewItem]:
        return super().get_queryset(request).filter(shop__in=platform_selectors.shops_visible_to(request.user))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReviewItem | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ReviewItem | None = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return views.queue(request, self)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        if not object_id.isdigit():
            raise Http404("no such review item")
        return HttpResponseRedirect(reverse("admin:review_item", args=[int(object_id)]))


@admin.register(Decision)
class DecisionAdmin(admin.ModelAdmin):
    """The audit log: visible to reviewers of the shop, never added, edited or deleted here."""

    list_display = ["created_at", "action", "reason_code", "variant", "reviewer", "seconds_spent", "bulk"]
    list_filter = ["action", "reason_code", "bulk"]
    search_fields = ["note", "reviewer__username"]
    readonly_fields = [field.name for field in Decision._meta.fields]
    date_hierarchy = "created_at"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Decision]:
        return super().get_queryset(request).filter(
            item__shop__in=platform_selectors.shops_visible_to(request.user)
        ).select_related("reviewer", "variant")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Decision | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Decision | None = None) -> bool:
        return False
