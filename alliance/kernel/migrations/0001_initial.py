"""The kernel's records, until now in the "alliance" app: moved, not copied.

The tables keep their names (`db_table`), so no row moves: the models change
app in Django's state only. Their content types move with them, and with
those the permissions users and groups hold on them (partners' API keys).
"""

import django.utils.timezone
from django.db import migrations, models

MOVED = ["contentchange", "partnerkey", "tombstone"]


def move_content_types(old, new):
    def move(apps, schema_editor):
        content_type = apps.get_model("contenttypes", "ContentType")
        taken = set(
            content_type.objects.filter(app_label=new, model__in=MOVED).values_list(
                "model", flat=True
            )
        )
        content_type.objects.filter(app_label=old, model__in=MOVED).exclude(
            model__in=taken
        ).update(app_label=new)

    return move


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("alliance", "0014_history_follows_web_addresses_and_participations"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ContentChange",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("changed_at", models.DateTimeField(verbose_name="changed at")),
                    ],
                    options={
                        "verbose_name": "content change",
                        "verbose_name_plural": "content changes",
                        "db_table": "alliance_contentchange",
                    },
                ),
                migrations.CreateModel(
                    name="PartnerKey",
                    fields=[
                        (
                            "id",
                            models.CharField(
                                editable=False,
                                max_length=150,
                                primary_key=True,
                                serialize=False,
                                unique=True,
                            ),
                        ),
                        (
                            "prefix",
                            models.CharField(editable=False, max_length=8, unique=True),
                        ),
                        (
                            "hashed_key",
                            models.CharField(editable=False, max_length=150),
                        ),
                        (
                            "created",
                            models.DateTimeField(auto_now_add=True, db_index=True),
                        ),
                        (
                            "name",
                            models.CharField(
                                default=None,
                                help_text="A free-form name for the API key. Need not be unique. 50 characters max.",
                                max_length=50,
                            ),
                        ),
                        (
                            "revoked",
                            models.BooleanField(
                                blank=True,
                                default=False,
                                help_text="If the API key is revoked, clients cannot use it anymore. (This cannot be undone.)",
                            ),
                        ),
                        (
                            "expiry_date",
                            models.DateTimeField(
                                blank=True,
                                help_text="Once API key expires, clients cannot use it anymore.",
                                null=True,
                                verbose_name="Expires",
                            ),
                        ),
                        (
                            "partner",
                            models.CharField(max_length=150, verbose_name="partner"),
                        ),
                        (
                            "contact_email",
                            models.EmailField(
                                blank=True, max_length=254, verbose_name="contact email"
                            ),
                        ),
                        (
                            "last_used_at",
                            models.DateTimeField(
                                blank=True,
                                editable=False,
                                null=True,
                                verbose_name="last used",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "partner API key",
                        "verbose_name_plural": "partner API keys",
                        "db_table": "alliance_partnerkey",
                        "ordering": ("-created",),
                        "abstract": False,
                    },
                ),
                migrations.CreateModel(
                    name="Tombstone",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        (
                            "resource",
                            models.CharField(max_length=30, verbose_name="resource"),
                        ),
                        ("slug", models.SlugField(max_length=120, verbose_name="slug")),
                        (
                            "reason",
                            models.CharField(
                                choices=[
                                    ("unpublished", "Unpublished"),
                                    ("deleted", "Deleted"),
                                ],
                                max_length=12,
                                verbose_name="reason",
                            ),
                        ),
                        (
                            "removed_at",
                            models.DateTimeField(
                                db_index=True,
                                default=django.utils.timezone.now,
                                verbose_name="removed at",
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "tombstone",
                        "verbose_name_plural": "tombstones",
                        "db_table": "alliance_tombstone",
                        "ordering": ["removed_at", "pk"],
                        "indexes": [
                            models.Index(
                                fields=["resource", "removed_at"],
                                name="tombstone_resource_removed",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("resource", "slug"),
                                name="tombstone_once_per_slug",
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(
            move_content_types("alliance", "kernel"),
            move_content_types("kernel", "alliance"),
        ),
    ]
