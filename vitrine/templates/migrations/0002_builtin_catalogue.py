from django.db import migrations


def load_builtin_catalogue(apps, schema_editor):
    from vitrine.templates.services import catalogue_sync

    catalogue_sync(
        template_model=apps.get_model("templates", "VariantTemplate"),
        variant_model=apps.get_model("platform", "Variant"),
    )


class Migration(migrations.Migration):

    dependencies = [
        ("templates", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load_builtin_catalogue, migrations.RunPython.noop),
    ]
