"""Search documents for scenarios and events, and the function that makes them.

alliance_search_vector(text, ...) joins its arguments and returns the
'simple' tsvector of the words, with each run of Chinese characters cut into
overlapping two-character pieces plus its last character (see
alliance/kernel/search.py, whose TERM pattern must agree with it: a test compares
them). Without positions (strip): the search only asks which words occur.

It is written with regexp_replace() over the whole text because that is done
in C: a loop per character in SQL costs several times more on a long body.
ASCII punctuation and common Chinese and typographic punctuation separate
words, like spaces; every run of Chinese characters is then paired twice,
from its first and from its second character.
"""

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models

from alliance.kernel.search import search_document_trigger

CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
SEPARATORS = r"!-/:-@[-`{-~\u2010-\u2027\u3000-\u3003\u3008-\u3011\u3014-\u301f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65"

CREATE_FUNCTION = rf"""
CREATE FUNCTION alliance_search_vector(VARIADIC parts text[]) RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT strip(to_tsvector('simple',
    regexp_replace(value, '[{SEPARATORS}{CJK}]+', ' ', 'g')
    || regexp_replace(runs, '\S\S', '\& ', 'g')
    || regexp_replace(regexp_replace(runs, ' \S', ' ', 'g'), '\S\S', '\& ', 'g')
  ))
  FROM (SELECT array_to_string(parts, ' ') AS value) AS joined,
    LATERAL (
      SELECT ' ' || regexp_replace(value, '[^{CJK}]+', ' ', 'g') || ' ' AS runs
    ) AS chinese
$$
"""


def create_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE_FUNCTION)


def drop_function(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS alliance_search_vector(text[])")


class Migration(migrations.Migration):

    dependencies = [
        ('alliance', '0006_editors_view_members'),
    ]

    operations = [
        migrations.RunPython(create_function, drop_function, elidable=False),
        migrations.CreateModel(
            name='EventSearchDocument',
            fields=[
                ('text', django.contrib.postgres.search.SearchVectorField(editable=False)),
                ('event', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_document', serialize=False, to='alliance.event')),
            ],
            options={
                'abstract': False,
            },
        ),
        migrations.CreateModel(
            name='ScenarioSearchDocument',
            fields=[
                ('text', django.contrib.postgres.search.SearchVectorField(editable=False)),
                ('scenario', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='search_document', serialize=False, to='alliance.scenario')),
            ],
            options={
                'abstract': False,
            },
        ),
        search_document_trigger(
            "alliance_event",
            "alliance_eventsearchdocument",
            "event_id",
            ["name_en", "name_zh_hans", "summary_en", "summary_zh_hans", "description_en", "description_zh_hans"],
        ),
        search_document_trigger(
            "alliance_scenario",
            "alliance_scenariosearchdocument",
            "scenario_id",
            ["title_en", "title_zh_hans", "summary_en", "summary_zh_hans", "description_en", "description_zh_hans"],
        ),
    ]
