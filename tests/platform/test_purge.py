"""shop/redact: a shop's rows and files go; files another shop also uses stay."""

from django.core.files.storage import default_storage
from django.utils import timezone

from tests.factories import make_source_image, make_variant
from vitrine.platform.models import Blob, Product, Shop, SourceImage, Variant
from vitrine.platform.services import shop_purge


def test_purge_deletes_the_shops_rows_and_unshared_files(shop):
    other = Shop.objects.create(provider="csvfile", external_id="other.example", installed_at=timezone.now())
    other.markets.create(locale="fr-FR", region="FR")
    only_ours = make_source_image(shop, external_id="mug", remote_id="a", seed=1)
    shared_ours = make_source_image(shop, external_id="tee", remote_id="b", seed=2)
    shared_theirs = make_source_image(other, external_id="tee", remote_id="b", seed=2)  # same bytes
    make_variant(shop, source_image=only_ours)
    private_path = Blob.objects.get(pk=only_ours.image_id).path
    shared_path = Blob.objects.get(pk=shared_ours.image_id).path
    assert shared_ours.image_id == shared_theirs.image_id

    shop_purge(shop_id=shop.pk)

    assert not Shop.objects.filter(pk=shop.pk).exists()
    assert not Product.objects.filter(shop_id=shop.pk).exists()
    assert not Variant.objects.filter(shop_id=shop.pk).exists()
    assert not default_storage.exists(private_path)
    assert not Blob.objects.filter(pk=only_ours.image_id).exists()
    assert default_storage.exists(shared_path)  # still used by the other shop
    assert SourceImage.objects.filter(pk=shared_theirs.pk).exists()
