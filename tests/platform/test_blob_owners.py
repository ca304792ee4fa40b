"""One registry of blob references: access, purges and the deletion of unreferenced files all read it."""

from django.apps import apps
from django.core.files.storage import default_storage

from tests.factories import make_variant, png_bytes
from vitrine.platform import selectors
from vitrine.platform.checks import blob_references_registered
from vitrine.platform.models import Blob
from vitrine.platform.services import blob_delete_unreferenced, blob_put


def test_every_blob_reference_of_every_app_is_registered() -> None:
    assert blob_references_registered(None) == []
    registered = {(owner.model._meta.label, name) for owner in selectors.blob_owners() for name in owner.blob_fields}
    assert {("connectors.PublishRecord", "file"), ("review.ReviewArtefact", "blob"),
            ("platform.SourceImage", "original"), ("platform.Variant", "output")} <= registered


def test_a_blob_reference_missing_from_the_registry_is_refused(monkeypatch) -> None:
    ledger = apps.get_model("connectors", "PublishRecord")
    monkeypatch.setattr(selectors, "_blob_owners", [o for o in selectors.blob_owners() if o.model is not ledger])
    errors = blob_references_registered(None)
    assert [(error.id, error.obj) for error in errors] == [("vitrine.E010", ledger)]
    assert "connectors.PublishRecord.file" in errors[0].msg


def test_only_files_no_registered_owner_references_are_deleted(shop) -> None:
    ledger = apps.get_model("connectors", "PublishRecord")
    published = blob_put(data=png_bytes(seed=40), content_type="image/png")
    orphan = blob_put(data=png_bytes(seed=41), content_type="image/png")
    variant = make_variant(shop)
    ledger.objects.create(variant=variant, shop=shop, provider="csvfile", mode="add", remote_product_id="p1",
                          file=published, sha256=published.sha256, filename="vitrine.png")

    assert blob_delete_unreferenced({published.sha256, orphan.sha256}) == 1

    assert Blob.objects.filter(pk=published.sha256).exists() and default_storage.exists(published.path)
    assert not Blob.objects.filter(pk=orphan.sha256).exists() and not default_storage.exists(orphan.path)
