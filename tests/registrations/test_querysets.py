"""The query shapes of registrations: events with their settings, the door's search."""

import pytest
from django.utils import timezone

from registrations.models import Registration, Status, events_with_settings
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
)

pytestmark = pytest.mark.django_db


def test_events_with_settings_read_the_settings_in_the_same_query(
    django_assert_num_queries,
):
    taking = RegistrationSettingsFactory(capacity=12).event
    other = EventFactory()
    with django_assert_num_queries(1):
        found = {event.pk: event for event in events_with_settings()}
        assert found[taking.pk].registration_settings.capacity == 12
        assert not hasattr(found[other.pk], "registration_settings")


def test_by_code_finds_a_kept_registration_with_its_event(django_assert_num_queries):
    kept = RegistrationFactory()
    erased = RegistrationFactory(event=kept.event, anonymized_at=timezone.now())
    with django_assert_num_queries(1):
        found = Registration.objects.by_code(kept.code).get()
        assert found.event.name == kept.event.name
    assert not Registration.objects.by_code(erased.code).exists()
    assert list(Registration.objects.not_erased()) == [kept]


def test_at_the_door_searches_kept_uncancelled_registrations_of_the_event_by_name():
    event = EventFactory()
    lin = RegistrationFactory(event=event, name="Lin Wei", organization="Orbit")
    by_email = RegistrationFactory(event=event, name="Ann", email="ann@lin.example")
    by_organization = RegistrationFactory(
        event=event, name="Bo", organization="Linear Space"
    )
    RegistrationFactory(event=event, name="Lin Cancelled", status=Status.CANCELLED)
    RegistrationFactory(event=event, name="Lin Erased", anonymized_at=timezone.now())
    RegistrationFactory(name="Lin Elsewhere")  # another event
    RegistrationFactory(event=event, name="Zhao")
    found = list(Registration.objects.of_event(event).at_the_door("LIN"))
    assert found == [by_email, by_organization, lin]
