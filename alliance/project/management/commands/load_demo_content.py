"""Load the demo content: readable records keyed on slugs, safe to run twice.

Each app keeps its own records in `<app>/demo.py` with a `load(log)` function;
this command runs them in dependency order inside one transaction, so a
failure leaves the database as it was.
"""

import importlib

from django.core.management.base import BaseCommand
from django.db import transaction

# Members first (others point at them), then the alliance's own content, then
# the news that links to both; last, the representatives of the members.
DEMO_MODULES = ["members.demo", "alliance.content.demo", "news.demo", "portal.demo"]


class Command(BaseCommand):
    help = "Create or update the demo content (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            for name in DEMO_MODULES:
                try:
                    module = importlib.import_module(name)
                except ModuleNotFoundError:
                    continue
                module.load(log=self.log)
        self.stdout.write(self.style.SUCCESS("Demo content is in place."))

    def log(self, action, obj):
        """Print one line per record (what happened to which object), or a note."""
        if isinstance(obj, str):
            self.stdout.write(f"  {action:<9} {obj}")
            return
        self.stdout.write(f"  {action:<9} {obj._meta.verbose_name}: {obj}")
