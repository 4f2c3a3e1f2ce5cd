"""Once made trigram indexes for substring search; a later migration dropped them.

Both are empty now: a new database never builds what it would drop, and a
database that ran them has nothing left of either. The search reads search
documents (alliance/kernel/search.py)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("members", "0002_logo_renditions")]

    operations = []
