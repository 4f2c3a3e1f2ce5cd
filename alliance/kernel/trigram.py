"""Trigram indexes, for the migrations that once made and later dropped them.

The search now reads search documents (alliance.kernel.search); these operations
stay because migrations name them. What the indexes did:

Django turns `field__icontains=q` into `UPPER(field::text) LIKE UPPER('%q%')`
on PostgreSQL; a pg_trgm GIN index on exactly that expression lets the
planner answer it without reading every row, in any language (trigrams are
taken from the characters themselves, so Chinese works without a segmenter).
SQLite has no such index; the migrations do nothing there.
"""

from django.db import migrations


def _index_name(table, column):
    return f"{table}_{column}_trgm"[:63]


def trigram_indexes(table, columns):
    """A migration operation creating (and on reverse, dropping) the indexes."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in columns:
            schema_editor.execute(
                f'CREATE INDEX IF NOT EXISTS "{_index_name(table, column)}" '
                f'ON "{table}" USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
            )

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for column in columns:
            schema_editor.execute(
                f'DROP INDEX IF EXISTS "{_index_name(table, column)}"'
            )

    return migrations.RunPython(forward, backward, elidable=False)


def drop_trigram_indexes(table, columns):
    """The reverse of `trigram_indexes`: drops them (and on reverse, recreates them).

    The site search, the list pages' `?q=` and the API's `search` read the
    search documents now; these indexes only slowed down every write.
    """
    created = trigram_indexes(table, columns)
    return migrations.RunPython(created.reverse_code, created.code, elidable=False)
