from django.db import migrations


def sync_roles(apps, schema_editor):
    from alliance.kernel.roles import sync_roles

    sync_roles(apps)


def remove_event_staff(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Event staff").delete()


class Migration(migrations.Migration):
    """The *Event staff* group, and registration settings for Editors."""

    dependencies = [
        ("registrations", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(sync_roles, remove_event_staff)]
