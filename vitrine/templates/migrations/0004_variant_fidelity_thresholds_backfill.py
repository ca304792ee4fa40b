"""Copy each template version's fidelity thresholds onto the variants made from it.

Variants planned from now on carry the thresholds of their template version from the start; this fills
in those planned before the field existed. Frozen logic on the historical models: no live service is
imported, so the migration means the same thing whatever the code later says.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    VariantTemplate = apps.get_model("templates", "VariantTemplate")
    Variant = apps.get_model("platform", "Variant")
    versions = VariantTemplate.objects.exclude(fidelity_thresholds={}).values_list(
        "slug", "version", "fidelity_thresholds"
    )
    for slug, version, thresholds in versions.iterator():
        Variant.objects.filter(template_slug=slug, template_version=version, fidelity_thresholds={}).update(
            fidelity_thresholds=thresholds
        )


class Migration(migrations.Migration):

    dependencies = [
        ("platform", "0009_variant_fidelity_thresholds"),
        ("templates", "0003_alter_varianttemplate_kind_and_more"),
    ]

    # Going back needs nothing: undoing platform 0008 drops the column.
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
