"""Tombstones, partner keys and the content-change row now belong to the kernel app.

Only Django's state changes: the kernel's first migration took the same tables over.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("alliance", "0014_history_follows_web_addresses_and_participations"),
        ("kernel", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name="ContentChange"),
                migrations.DeleteModel(name="PartnerKey"),
                migrations.DeleteModel(name="Tombstone"),
            ],
            database_operations=[],
        ),
    ]
