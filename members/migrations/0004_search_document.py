"""Search documents for members (see alliance/kernel/search.py), filled for existing rows."""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

from alliance.kernel.search import search_document_trigger


class Migration(migrations.Migration):

    dependencies = [
        ('alliance', '0007_search_documents'),
        ('members', '0003_search_trigram_indexes'),
    ]

    operations = [
        migrations.CreateModel(
            name='MemberSearchDocument',
            fields=[
                ('text', django.contrib.postgres.search.SearchVectorField(editable=False)),
                ('member', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_document', serialize=False, to='members.member')),
            ],
            options={
                'abstract': False,
            },
        ),
        search_document_trigger(
            "members_member",
            "members_membersearchdocument",
            "member_id",
            ["name_en", "name_zh_hans", "short_name_en", "short_name_zh_hans", "summary_en", "summary_zh_hans", "capability_en", "capability_zh_hans"],
        ),
    ]
