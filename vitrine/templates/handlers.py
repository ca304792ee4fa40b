"""The planner's entry: every synced product gets the variants its shop's rules ask for."""

from __future__ import annotations

from vitrine.platform import events
from vitrine.platform.models import Event
from vitrine.templates.planner import product_plan


@events.handles(events.CATALOG_PRODUCT_SYNCED)
def plan_synced_product(event: Event) -> None:
    # Only database rows are written here (rendering is the inference app's task), so it runs inline:
    # the plan commits together with this handler's run record, and a redelivery finds both.
    product_plan(product_id=event.payload["product_id"], automatic=True)
