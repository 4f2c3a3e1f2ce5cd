"""Erasing registrants' details once an event is long enough past.

What stays is what the counts need: the event, the status, when the person
registered and checked in. Name, contact details, answers and the ticket's
secret go; the private link and the ticket stop working. Running it again
changes nothing more.
"""

import datetime

from django.db import transaction
from django.utils import timezone

from .models import Registration, RegistrationSettings, new_code


def due(today=None):
    """Registrations not erased yet whose event ended more than its retention days ago."""
    today = today or timezone.localdate()
    events = [
        settings.pk
        for settings in RegistrationSettings.objects.select_related("event").only(
            "retention_days", "event__ends_on"
        )
        if settings.event.ends_on + datetime.timedelta(days=settings.retention_days)
        < today
    ]
    return Registration.objects.filter(anonymized_at__isnull=True, event__in=events)


def erase(today=None):
    """Erase the registrants' details that are due; return how many registrations."""
    now = timezone.now()
    erased = 0
    with transaction.atomic():
        for pk in due(today).values_list("pk", flat=True).iterator():
            Registration.objects.filter(pk=pk, anonymized_at__isnull=True).update(
                name="",
                email="",
                organization="",
                title="",
                phone="",
                country="",
                answers={},
                member=None,
                code=f"erased-{new_code()}",
                anonymized_at=now,
                updated_at=now,
            )
            erased += 1
    return erased
