from django.db import migrations

from alliance.kernel.trigram import drop_trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("alliance", "0008_scenario_image_renditions")]

    operations = [
        drop_trigram_indexes(
            "alliance_scenario",
            ["title_en", "title_zh_hans", "summary_en", "summary_zh_hans", "description_en", "description_zh_hans"],
        ),
        drop_trigram_indexes(
            "alliance_event",
            ["name_en", "name_zh_hans", "summary_en", "summary_zh_hans", "description_en", "description_zh_hans"],
        ),
    ]
