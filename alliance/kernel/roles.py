"""The admin roles, as groups: who may change what."""

from django.contrib.auth.management import create_permissions

ROLES = {
    "Membership managers": {
        "members": ["member", "sector", "tier", "membershipapplication"],
        "portal": ["representative", "changerequest"],
    },
    "Editors": {
        "news": ["article", "tag"],
        "alliance": [
            "scenario",
            "scenarioparticipation",
            "field",
            "event",
            "initiative",
            "participation",
            "page",
        ],
        "registrations": ["registrationsettings", "question"],
    },
    # At the door and in the list of registrants: see, approve, cancel,
    # export and check people in. Nothing of the public content.
    "Event staff": {
        "registrations": ["registration"],
    },
}
ACTIONS = ["view", "add", "change", "delete"]
# What a role may look up without changing it. Editors link articles,
# scenario participations, initiatives and events to members, and the
# admin's autocomplete for those links answers only users who may view members.
VIEW_ONLY = {
    "Editors": {"members": ["member"]},
    "Event staff": {"registrations": ["registrationsettings"]},
}
# Permissions of a role beyond viewing and changing models.
EXTRA = {
    "Event staff": {"registrations": ["check_in"]},
}


def sync_roles(apps):
    """Create the groups and give each exactly the permissions of its role."""
    # Permissions are normally created after all migrations; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None

    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for name, models_by_app in ROLES.items():
        group, _created = group_model.objects.get_or_create(name=name)
        codenames = (
            [
                (app_label, f"{action}_{model}")
                for app_label, models in models_by_app.items()
                for model in models
                for action in ACTIONS
            ]
            + [
                (app_label, f"view_{model}")
                for app_label, models in VIEW_ONLY.get(name, {}).items()
                for model in models
            ]
            + [
                (app_label, codename)
                for app_label, codenames in EXTRA.get(name, {}).items()
                for codename in codenames
            ]
        )
        # A migration that runs before a model exists gives no permission for
        # it; the migration that adds the model syncs the roles again.
        permissions = [
            permission
            for app_label, codename in codenames
            for permission in permission_model.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        ]
        group.permissions.set(permissions)
