from django.db import migrations

from alliance.kernel.trigram import drop_trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("members", "0006_directory_order")]

    operations = [
        drop_trigram_indexes(
            "members_member",
            ["name_en", "name_zh_hans", "summary_en", "summary_zh_hans", "capability_en", "capability_zh_hans"],
        ),
    ]
