"""The alliance's own models: what their querysets select."""

import datetime

import pytest
from django.utils import timezone

from tests.factories import EventFactory

pytestmark = pytest.mark.django_db


def test_upcoming_and_past_events_are_split_by_their_last_day():
    today = timezone.localdate()
    running = EventFactory(starts_on=today - datetime.timedelta(days=1), ends_on=today)
    past = EventFactory(
        starts_on=today - datetime.timedelta(days=9),
        ends_on=today - datetime.timedelta(days=8),
    )
    from alliance.content.models import Event

    assert list(Event.objects.upcoming()) == [running]
    assert list(Event.objects.past()) == [past]
