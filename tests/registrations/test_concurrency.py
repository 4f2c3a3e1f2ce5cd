"""Places and check-ins under simultaneous requests, on PostgreSQL.

Each thread is a client with its own database connection, all let go at
the same instant: the capacity holds exactly, one address registers once,
and a ticket scanned at two doors at once is checked in once.
"""

import threading

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from registrations.models import Registration, Status
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
)
from tests.helpers import role_group

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="row locks need PostgreSQL"
    ),
]

CLIENTS = 24


def run_together(work, count=CLIENTS):
    """Run work(i) in `count` threads started at once; return what each returned."""
    barrier = threading.Barrier(count)
    results = [None] * count
    errors = []

    def target(i):
        from django.db import connections

        try:
            barrier.wait()
            results[i] = work(i)
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


def form(email):
    return {
        "name": "Rush",
        "email": email,
        "language": "en",
        "consent": "on",
        "website_url_confirm": "",
    }


@pytest.fixture
def event(settings):
    settings.REGISTRATION_RATE_LIMIT = 1000
    event = EventFactory(slug="forum")
    RegistrationSettingsFactory(event=event, capacity=5)
    return event


def test_the_capacity_holds_exactly_when_everyone_registers_at_once(event):
    statuses = run_together(
        lambda i: (
            Client()
            .post("/events/forum/register/", form(f"p{i}@example.org"))
            .status_code
        )
    )
    assert statuses == [302] * CLIENTS
    assert Registration.objects.filter(status=Status.CONFIRMED).count() == 5
    assert Registration.objects.filter(status=Status.WAITLISTED).count() == CLIENTS - 5


def test_one_address_sent_many_times_at_once_registers_once(event):
    statuses = run_together(
        lambda i: (
            Client()
            .post("/events/forum/register/", form("same@example.org"))
            .status_code
        )
    )
    assert statuses == [302] * CLIENTS
    assert Registration.objects.count() == 1


def test_cancellations_at_once_give_each_free_place_to_one_person(event):
    confirmed = RegistrationFactory.create_batch(5, event=event)
    waiting = RegistrationFactory.create_batch(
        10, event=event, status=Status.WAITLISTED
    )
    run_together(
        lambda i: (
            Client()
            .post(confirmed[i].get_manage_url(), {"action": "cancel"})
            .status_code
        ),
        count=5,
    )
    assert Registration.objects.filter(status=Status.CONFIRMED).count() == 5
    promoted = set(
        Registration.objects.filter(status=Status.CONFIRMED).values_list(
            "pk", flat=True
        )
    )
    # The first five on the waiting list, in order.
    assert promoted == {r.pk for r in waiting[:5]}


def test_a_ticket_scanned_at_several_doors_at_once_is_checked_in_once(event):
    user = User.objects.create_user("door", password="x", is_staff=True)
    user.groups.add(role_group("Event staff"))
    ticket = RegistrationFactory(event=event).ticket_token

    def scan(i):
        client = Client()
        client.force_login(user)
        response = client.post(
            "/events/forum/check-in/",
            {"ticket": ticket},
            headers={"accept": "application/json"},
        )
        return response.json()["result"]

    results = run_together(scan, count=12)
    assert sorted(results) == ["already"] * 11 + ["checked_in"]
