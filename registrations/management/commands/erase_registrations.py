"""Erase registrants' details a number of days after their event (each event's settings say how many).

Run it daily (cron or a systemd timer). Idempotent: what was erased stays
erased, and a second run the same day erases nothing.
"""

from django.core.management.base import BaseCommand

from registrations.retention import erase


class Command(BaseCommand):
    help = "Erase the names and contact details of registrants of events past their retention time."

    def handle(self, *args, **options):
        erased = erase()
        self.stdout.write(f"Erased the details of {erased} registration(s).")
