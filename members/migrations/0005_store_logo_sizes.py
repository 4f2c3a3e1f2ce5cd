"""Store the sizes of logos and their renditions where they were left empty.

Renditions (and the demo's logos) were saved from unnamed in-memory files,
from which the image field could not read a size: the columns stayed empty,
pages had no width and height for the image, and loading such a member read
the file from storage every time.
"""

from django.db import migrations
from PIL import Image


def store_sizes(apps, schema_editor):
    from django.core.files.storage import default_storage

    Member = apps.get_model("members", "Member")
    columns = {"logo": ("logo_width", "logo_height"),
               "logo_small": ("logo_small_width", "logo_small_height")}  # fmt: skip
    # Read the stored values, not model instances: loading an instance would
    # fill the sizes from the files by itself, in memory only.
    rows = Member.objects.exclude(logo="").values(
        "pk", *columns, *(name for pair in columns.values() for name in pair)
    )
    for row in rows.iterator():
        sizes = {}
        for field, (width, height) in columns.items():
            if not row[field] or row[width]:
                continue
            try:
                with (
                    default_storage.open(row[field]) as file,
                    Image.open(file) as image,
                ):
                    sizes[width], sizes[height] = image.size
            except (OSError, ValueError):
                continue  # the file is gone: nothing to read
        if sizes:
            Member.objects.filter(pk=row["pk"]).update(**sizes)


class Migration(migrations.Migration):
    dependencies = [("members", "0004_search_document")]

    operations = [migrations.RunPython(store_sizes, migrations.RunPython.noop)]
