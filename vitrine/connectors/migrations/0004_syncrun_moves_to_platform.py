"""Shopify's ``CatalogSyncRun`` and Taobao's ``TaobaoSyncRun`` become the kernel's one ``SyncRun``.

The rows are copied with the code frozen here (never the live services): store-specific counts go into
``stats``; a Taobao run starts at its ``modified_to``, where the next incremental read continues.
"""

from django.db import migrations


def copy_forward(apps, schema_editor):
    SyncRun = apps.get_model("platform", "SyncRun")
    CatalogSyncRun = apps.get_model("connectors", "CatalogSyncRun")
    TaobaoSyncRun = apps.get_model("connectors", "TaobaoSyncRun")
    runs = []
    for old in CatalogSyncRun.objects.all().iterator():
        runs.append(SyncRun(
            provider="shopify", shop_id=old.shop_id, full=old.full, since=old.since, mode=old.mode,
            status=old.status, remote_operation_id=old.bulk_operation_id, remote_operation_status=old.bulk_status,
            stats={"seen": old.products_seen, "requests": old.requests, "cost_points": old.cost_points,
                   "throttled_seconds": old.throttled_seconds},
            error=old.error, started_at=old.started_at, finished_at=old.finished_at,
        ))
    for old in TaobaoSyncRun.objects.all().iterator():
        runs.append(SyncRun(
            provider="taobao", shop_id=old.shop_id, full=old.full, since=None if old.full else old.modified_from,
            mode="windows", status=old.status,
            stats={"windows": old.windows, "splits": old.splits, "listed": old.items_listed,
                   "synced": old.items_synced, "failed": old.items_failed, "requests": old.requests},
            error=old.error, started_at=old.modified_to, finished_at=old.finished_at,
        ))
    SyncRun.objects.bulk_create(runs, batch_size=1000)


def copy_backward(apps, schema_editor):
    SyncRun = apps.get_model("platform", "SyncRun")
    CatalogSyncRun = apps.get_model("connectors", "CatalogSyncRun")
    TaobaoSyncRun = apps.get_model("connectors", "TaobaoSyncRun")
    for run in SyncRun.objects.filter(provider="shopify").iterator():
        stats = run.stats or {}
        old = CatalogSyncRun.objects.create(
            shop_id=run.shop_id, full=run.full, since=run.since, mode=run.mode[:8], status=run.status,
            bulk_operation_id=run.remote_operation_id, bulk_status=run.remote_operation_status,
            products_seen=stats.get("seen", 0), requests=stats.get("requests", 0),
            cost_points=stats.get("cost_points", 0), throttled_seconds=stats.get("throttled_seconds", 0),
            error=run.error, finished_at=run.finished_at,
        )
        CatalogSyncRun.objects.filter(pk=old.pk).update(started_at=run.started_at)  # auto_now_add set it to now
    for run in SyncRun.objects.filter(provider="taobao").iterator():
        stats = run.stats or {}
        old = TaobaoSyncRun.objects.create(
            shop_id=run.shop_id, full=run.full, modified_from=run.since or run.started_at,
            modified_to=run.started_at, status=run.status, windows=stats.get("windows", 0),
            splits=stats.get("splits", 0), items_listed=stats.get("listed", 0), items_synced=stats.get("synced", 0),
            items_failed=stats.get("failed", 0), requests=stats.get("requests", 0), error=run.error,
            finished_at=run.finished_at,
        )
        TaobaoSyncRun.objects.filter(pk=old.pk).update(started_at=run.started_at)
    # They live in the old tables again; migrating forward copies them once more.
    SyncRun.objects.filter(provider__in=["shopify", "taobao"]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("connectors", "0003_taobaocategory"),
        ("platform", "0008_syncrun"),
    ]

    operations = [
        migrations.RunPython(copy_forward, copy_backward),
        migrations.DeleteModel(
            name="CatalogSyncRun",
        ),
        migrations.DeleteModel(
            name="TaobaoSyncRun",
        ),
    ]
