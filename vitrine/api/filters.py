"""Query filters of the list endpoints (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Q, QuerySet

from vitrine.platform.lifecycle import VariantState
from vitrine.platform.models import EditKind, Event, Product, Variant


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number a database row can have."""

    field_class = forms.IntegerField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=1, max_value=2**63 - 1, **kwargs)


class ProductFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", help_text="Words in the title, handle or store id.")
    product_type = django_filters.CharFilter(lookup_expr="iexact")
    vendor = django_filters.CharFilter(lookup_expr="iexact")
    tag = django_filters.CharFilter(method="with_tag", help_text="Products carrying this tag.")
    status = django_filters.CharFilter(lookup_expr="iexact")
    variant_state = django_filters.ChoiceFilter(choices=VariantState.choices, method="with_variant_state",
                                                help_text="Products with at least one variant in this state.")

    class Meta:
        model = Product
        fields = ["q", "product_type", "vendor", "tag", "status", "variant_state"]

    def search(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        for word in value.split()[:10]:
            queryset = queryset.filter(Q(title__icontains=word) | Q(handle__icontains=word)
                                       | Q(external_id__icontains=word))
        return queryset

    def with_tag(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        # Tags are a JSON list; JSON containment is not on SQLite, so match the ids in Python.
        wanted = value.strip().casefold()
        ids = [pk for pk, tags in queryset.values_list("pk", "tags")
               if any(str(tag).strip().casefold() == wanted for tag in tags or [])]
        return queryset.filter(pk__in=ids)

    def with_variant_state(self, queryset: QuerySet[Product], name: str, value: str) -> QuerySet[Product]:
        return queryset.filter(images__variants__state=value).distinct()


class VariantFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=VariantState.choices)
    market = IdFilter(field_name="market_id", help_text="Market id.")
    locale = django_filters.CharFilter(field_name="market__locale", lookup_expr="iexact")
    kind = django_filters.ChoiceFilter(choices=EditKind.choices)
    template = django_filters.CharFilter(field_name="template_slug")
    product = IdFilter(field_name="source_image__product_id", help_text="Product id.")
    verdict = django_filters.ChoiceFilter(field_name="fidelity_verdict",
                                          choices=[("pass", "pass"), ("review", "review"), ("fail", "fail")])

    class Meta:
        model = Variant
        fields = ["state", "market", "locale", "kind", "template", "product", "verdict"]


class EventFilter(django_filters.FilterSet):
    type = django_filters.CharFilter(help_text="Event type, e.g. variant.failed.")
    since = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")

    class Meta:
        model = Event
        fields = ["type", "since"]
