"""Thin Celery tasks of the planner."""

from __future__ import annotations

from celery import shared_task

from vitrine.templates import planner, selectors


@shared_task(name="vitrine.templates.tasks.plan_deferred_variants", ignore_result=True)
def plan_deferred_variants() -> int:
    """Beat: plan what yesterday's caps held back, shop by shop. Returns how many variants were created."""
    shops = selectors.shops_with_deferrals()
    return sum(len(planner.deferred_plan(shop_id=shop.pk).created) for shop in shops)
