from django.db import migrations

from alliance.kernel.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("members", "0002_logo_renditions")]

    operations = [
        trigram_indexes(
            "members_member",
            ["name_en", "name_zh_hans", "summary_en", "summary_zh_hans", "capability_en", "capability_zh_hans"],
        ),
    ]
