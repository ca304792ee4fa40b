"""The "Reviewers" group with what a reviewer needs: the queue, decisions, bulk approval and metrics, and
read access to the variants and catalogue they review. Which shops a reviewer sees comes from
platform.ShopMembership, not from this group."""

from django.db import migrations

GROUP = "Reviewers"
PERMISSIONS = [
    ("review", "view_reviewitem"),
    ("review", "decide_reviewitem"),
    ("review", "bulk_approve_reviewitem"),
    ("review", "view_review_metrics"),
    ("review", "view_decision"),
    ("platform", "view_variant"),
    ("platform", "view_sourceimage"),
    ("platform", "view_product"),
    ("platform", "view_shop"),
]


def create_reviewers_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations ran; the group needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def remove_reviewers_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("review", "0001_initial"),
        ("platform", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_reviewers_group, remove_reviewers_group)]
