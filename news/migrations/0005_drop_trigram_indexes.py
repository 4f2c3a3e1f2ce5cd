from django.db import migrations

from alliance.kernel.trigram import drop_trigram_indexes


class Migration(migrations.Migration):
    dependencies = [("news", "0004_cover_renditions")]

    operations = [
        drop_trigram_indexes(
            "news_article",
            ["title_en", "title_zh_hans", "summary_en", "summary_zh_hans", "body_en", "body_zh_hans"],
        ),
    ]
