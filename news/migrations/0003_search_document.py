"""Search documents for articles (see alliance/kernel/search.py), filled for existing rows."""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

from alliance.kernel.search import search_document_trigger


class Migration(migrations.Migration):

    dependencies = [
        ('alliance', '0007_search_documents'),
        ('news', '0002_search_trigram_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='ArticleSearchDocument',
            fields=[
                ('text', django.contrib.postgres.search.SearchVectorField(editable=False)),
                ('article', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_document', serialize=False, to='news.article')),
            ],
            options={
                'abstract': False,
            },
        ),
        search_document_trigger(
            "news_article",
            "news_articlesearchdocument",
            "article_id",
            ["title_en", "title_zh_hans", "summary_en", "summary_zh_hans", "body_en", "body_zh_hans"],
        ),
    ]
