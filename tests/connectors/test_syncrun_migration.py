"""The migration that folds Shopify's and Taobao's sync-run records into the kernel's ``SyncRun`` keeps every
run, its counts and the start an incremental read continues from, and hands them back when reversed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def migration_nodes() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(the state just before the move, the move itself): found by name, whatever number it carries."""
    graph = MigrationExecutor(connection).loader.graph
    (move,) = [node for node in graph.nodes
               if node[0] == "connectors" and node[1].endswith("syncrun_moves_to_platform")]
    before = sorted(parent.key for parent in graph.node_map[move].parents)
    return before, [move]


def migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def test_old_sync_runs_are_copied_into_sync_run_and_back() -> None:
    before, move = migration_nodes()
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        apps = migrate(before)
        shop_model = apps.get_model("platform", "Shop")
        shopify = shop_model.objects.create(provider="shopify", external_id="a.myshopify.com", name="A")
        taobao = shop_model.objects.create(provider="taobao", external_id="42", name="T")
        apps.get_model("connectors", "CatalogSyncRun").objects.create(
            shop=shopify, full=True, mode="bulk", status="succeeded", bulk_operation_id="gid://x/1",
            bulk_status="COMPLETED", products_seen=120, requests=9, cost_points=310.5, throttled_seconds=1.5)
        watermark = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        apps.get_model("connectors", "TaobaoSyncRun").objects.create(
            shop=taobao, full=False, modified_from=datetime(2026, 11, 29, tzinfo=UTC), modified_to=watermark,
            status="succeeded", windows=4, splits=1, items_listed=50, items_synced=7, items_failed=1, requests=60)

        apps = migrate(move)
        runs = {run.provider: run for run in apps.get_model("platform", "SyncRun").objects.all()}
        assert set(runs) == {"shopify", "taobao"}
        assert (runs["shopify"].mode, runs["shopify"].remote_operation_id, runs["shopify"].remote_operation_status,
                runs["shopify"].stats) == ("bulk", "gid://x/1", "COMPLETED",
                                           {"seen": 120, "requests": 9, "cost_points": 310.5,
                                            "throttled_seconds": 1.5})
        assert (runs["taobao"].full, runs["taobao"].started_at, runs["taobao"].stats["listed"],
                runs["taobao"].stats["failed"]) == (False, watermark, 50, 1)

        apps = migrate(before)
        assert apps.get_model("connectors", "CatalogSyncRun").objects.get().products_seen == 120
        assert apps.get_model("connectors", "TaobaoSyncRun").objects.get().modified_to == watermark
        assert not apps.get_model("platform", "SyncRun").objects.exists()
    finally:
        migrate(latest)
