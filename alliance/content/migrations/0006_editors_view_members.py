"""Let editors look members up, so they can link content to them in the admin.

The admin's autocomplete for the members of an article, a scenario
participation, an initiative or an event answers only users who may view
members; editors had no such permission and got a 403. alliance.kernel.roles
lists it for new databases; this migration adds it to existing ones.
"""

from django.db import migrations


def _editors_and_permission(apps):
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after all migrations; make sure this one exists.
    members = apps.get_app_config("members")
    members.models_module = True
    create_permissions(members, apps=apps, verbosity=0)
    members.models_module = None
    permission = apps.get_model("auth", "Permission").objects.get(
        content_type__app_label="members", codename="view_member"
    )
    editors = apps.get_model("auth", "Group").objects.filter(name="Editors")
    return editors, permission


def grant(apps, schema_editor):
    editors, permission = _editors_and_permission(apps)
    for group in editors:
        group.permissions.add(permission)


def revoke(apps, schema_editor):
    editors, permission = _editors_and_permission(apps)
    for group in editors:
        group.permissions.remove(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("alliance", "0005_content_change"),
        ("members", "0002_logo_renditions"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
