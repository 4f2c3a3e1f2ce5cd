"""Proposed logos move from the public media to the private files.

They were kept under an unguessable folder of the media, which the web
server serves to anyone who has the address; now they are never served, and
the review shows them through the admin. The files of existing requests
move with them (copied, then removed from the media), and back on reverse.
"""

from django.core.files.storage import default_storage
from django.db import migrations, models

import alliance.kernel.images
import alliance.kernel.private_files
import portal.models


def _move(apps, source, target):
    ChangeRequest = apps.get_model("portal", "ChangeRequest")
    for name in ChangeRequest.objects.exclude(logo="").values_list("logo", flat=True):
        if not source.exists(name) or target.exists(name):
            continue
        with source.open(name, "rb") as upload:
            saved = target.save(name, upload)
        if saved != name:  # the name is kept: the row points at it
            target.delete(saved)
            raise RuntimeError(f"Could not keep the name of {name} while moving it.")
        source.delete(name)


def to_private(apps, schema_editor):
    _move(apps, default_storage, alliance.kernel.private_files.private_storage())


def to_media(apps, schema_editor):
    _move(apps, alliance.kernel.private_files.private_storage(), default_storage)


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="changerequest",
            name="logo",
            field=models.ImageField(
                blank=True,
                max_length=255,
                storage=alliance.kernel.private_files.private_storage,
                upload_to=portal.models.proposed_logo_path,
                validators=[alliance.kernel.images.validate_logo],
                verbose_name="proposed logo",
            ),
        ),
        migrations.RunPython(to_private, to_media, elidable=True),
    ]
