"""Forms of the review pages: queue filters, a decision, bulk approval."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from vitrine.fidelity import VERDICT_FAIL, VERDICT_PASS, VERDICT_REVIEW
from vitrine.platform.models import EditKind, Market
from vitrine.platform.selectors import shops_visible_to
from vitrine.review.models import Decision
from vitrine.review.selectors import QueueFilters
from vitrine.review.services import MAX_SECONDS_SPENT, DecisionInput


def bulk_approve_default_score() -> float:
    """The score threshold bulk approval proposes (REVIEW_BULK_APPROVE_MIN_SCORE, default 0.9)."""
    return float(settings.REVIEW_BULK_APPROVE_MIN_SCORE)


class QueueFilterForm(forms.Form):
    shop = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    kind = forms.ChoiceField(required=False, choices=[("", "any kind"), *EditKind.choices])
    market = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    verdict = forms.ChoiceField(
        required=False,
        choices=[("", "any verdict"), (VERDICT_PASS, "pass"), (VERDICT_REVIEW, "review"), (VERDICT_FAIL, "fail")],
    )
    template = forms.SlugField(required=False, max_length=100)

    def __init__(self, *args: Any, user: AbstractBaseUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        shops = shops_visible_to(user).order_by("name")
        self.fields["shop"].choices = [("", "any shop"), *((shop.pk, str(shop)) for shop in shops)]
        markets = Market.objects.filter(shop__in=shops).select_related("shop").order_by("shop__name", "locale")
        self.fields["market"].choices = [
            ("", "any market"), *((market.pk, f"{market} ({market.locale}, {market.shop})") for market in markets)
        ]

    def filters(self) -> QueueFilters:
        """The valid filters (an invalid form filters nothing; its errors are shown)."""
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        return QueueFilters(shop_id=data["shop"], kind=data["kind"], market_id=data["market"],
                            verdict=data["verdict"], template=data["template"])


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=Decision.Action.choices)
    reason_code = forms.ChoiceField(required=False, choices=[("", "-"), *Decision.Reason.choices])
    note = forms.CharField(required=False, max_length=2000)
    seconds_spent = forms.FloatField(required=False, min_value=0, max_value=MAX_SECONDS_SPENT)
    params_adjust = forms.CharField(required=False, max_length=20_000,
                                    help_text='Changed parameters as a JSON object, e.g. {"color": "#F4F4F4"}.')

    def clean_params_adjust(self) -> dict[str, Any]:
        text = self.cleaned_data["params_adjust"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"parameter changes are not valid JSON: {exc.msg} (column {exc.colno})"
            ) from exc
        if not isinstance(value, dict):
            raise forms.ValidationError("parameter changes must be a JSON object of names and values")
        return value

    def decision(self) -> DecisionInput:
        data = self.cleaned_data
        return DecisionInput(action=data["action"], reason_code=data["reason_code"], note=data["note"],
                             seconds_spent=data["seconds_spent"], params_adjust=data["params_adjust"])


class BulkApproveForm(forms.Form):
    min_score = forms.FloatField(min_value=0.0, max_value=1.0, label="Score at least")


class BulkConfirmForm(forms.Form):
    min_score = forms.FloatField(min_value=0.0, max_value=1.0)
    item_ids = forms.CharField(max_length=100_000)
    seconds_spent = forms.FloatField(required=False, min_value=0, max_value=MAX_SECONDS_SPENT)

    def clean_item_ids(self) -> list[int]:
        parts = [part for part in self.cleaned_data["item_ids"].split(",") if part.strip()]
        try:
            ids = [int(part) for part in parts]
        except ValueError:
            raise forms.ValidationError("item ids must be whole numbers separated by commas") from None
        if not ids:
            raise forms.ValidationError("no items were selected")
        return ids


class MetricsForm(forms.Form):
    days = forms.IntegerField(required=False, min_value=1, max_value=366, initial=30)
