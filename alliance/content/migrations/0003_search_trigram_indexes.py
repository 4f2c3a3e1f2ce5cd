from django.db import migrations

from alliance.kernel.trigram import trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("alliance", "0002_roles")]

    operations = [
        trigram_indexes(
            "alliance_scenario",
            ["title_en", "title_zh_hans", "summary_en", "summary_zh_hans", "description_en", "description_zh_hans"],
        ),
        trigram_indexes(
            "alliance_event",
            ["name_en", "name_zh_hans", "summary_en", "summary_zh_hans", "description_en", "description_zh_hans"],
        ),
    ]
