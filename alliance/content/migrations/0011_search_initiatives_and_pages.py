"""Search documents for initiatives and site pages, kept by triggers on PostgreSQL."""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

from alliance.kernel.search import search_document_trigger


class Migration(migrations.Migration):

    dependencies = [
        ('alliance', '0010_initiative_participations'),
    ]

    operations = [
        migrations.CreateModel(
            name='InitiativeSearchDocument',
            fields=[
                ('text', django.contrib.postgres.search.SearchVectorField(editable=False)),
                ('initiative', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_document', serialize=False, to='alliance.initiative')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='PageSearchDocument',
            fields=[
                ('text', django.contrib.postgres.search.SearchVectorField(editable=False)),
                ('page', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_document', serialize=False, to='alliance.page')),
            ],
            options={
                'abstract': False,
            },
        ),
        search_document_trigger(
            "alliance_initiative",
            "alliance_initiativesearchdocument",
            "initiative_id",
            ["name_en", "name_zh_hans", "summary_en", "summary_zh_hans", "description_en", "description_zh_hans", "participants_note_en", "participants_note_zh_hans"],
        ),
        search_document_trigger(
            "alliance_page",
            "alliance_pagesearchdocument",
            "page_id",
            ["title_en", "title_zh_hans", "summary_en", "summary_zh_hans", "body_en", "body_zh_hans"],
        ),
    ]
