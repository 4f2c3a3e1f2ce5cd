"""The check-in desk, as Event staff use it: scan, search, count; nobody else gets in."""

import datetime
import json

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from registrations.models import Registration, Status
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
)
from tests.helpers import assert_valid_html, role_group

pytestmark = pytest.mark.django_db

URL = "/events/forum/check-in/"


@pytest.fixture
def event():
    event = EventFactory(slug="forum")
    RegistrationSettingsFactory(event=event)
    return event


@pytest.fixture
def staff(client):
    user = User.objects.create_user("door", password="x", is_staff=True)
    user.groups.add(role_group("Event staff"))
    client.force_login(user)
    return user


def scan(client, token, **headers):
    return client.post(URL, {"ticket": token}, headers=headers)


def test_only_event_staff_open_the_desk(client, event):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")
    editor = User.objects.create_user("ed", password="x", is_staff=True)
    editor.groups.add(role_group("Editors"))
    client.force_login(editor)
    assert client.get(URL).status_code == 403
    assert client.post(URL, {"ticket": "x"}).status_code == 403
    assert client.get(URL + "counts/").status_code == 403


def test_a_ticket_is_checked_in_once_then_reported_with_its_time(client, event, staff):
    registration = RegistrationFactory(event=event, name="Lin Wei")
    at = timezone.make_aware(datetime.datetime(2026, 12, 8, 9, 12))
    with time_machine.travel(at, tick=False):
        first = scan(client, registration.ticket_token)
    assert first.status_code == 200
    assert "Checked in" in first.content.decode()
    assert "Lin Wei" in first.content.decode()
    again = scan(client, registration.ticket_token)
    assert "Already checked in at 09:12" in again.content.decode()
    registration.refresh_from_db()
    assert registration.checked_in_at == at
    assert registration.checked_in_by == staff


def test_the_scanner_gets_json_with_the_counts(client, event, staff):
    registration = RegistrationFactory(
        event=event, name="Lin Wei", organization="Sky Eye"
    )
    RegistrationFactory(event=event, status=Status.WAITLISTED)
    answer = scan(client, registration.ticket_token, accept="application/json")
    assert answer["Content-Type"] == "application/json"
    assert json.loads(answer.content) == {
        "result": "checked_in",
        "message": "Checked in",
        "name": "Lin Wei",
        "organization": "Sky Eye",
        "counts": {"confirmed": 1, "pending": 0, "waitlisted": 1, "checked_in": 1},
    }
    counts = json.loads(client.get(URL + "counts/").content)
    assert counts["checked_in"] == 1


@pytest.mark.parametrize(
    "status", [Status.CANCELLED, Status.WAITLISTED, Status.PENDING]
)
def test_a_ticket_that_holds_no_place_is_refused(client, event, staff, status):
    registration = RegistrationFactory(event=event, status=status)
    answer = scan(client, registration.ticket_token, accept="application/json")
    assert answer.status_code == 404
    assert json.loads(answer.content)["message"] == "Not registered, or cancelled"
    # The name is not shown for a ticket that does not admit.
    assert json.loads(answer.content)["name"] == ""
    assert Registration.objects.get().checked_in_at is None


def test_a_forged_or_other_events_ticket_is_refused(client, event, staff):
    other = RegistrationFactory(event=RegistrationSettingsFactory().event)
    for token in [other.ticket_token, "nonsense", other.code, other.manage_token]:
        response = scan(client, token)
        assert response.status_code == 404
        assert "Not registered, or cancelled" in response.content.decode()
    assert client.post(URL, {}).status_code == 400
    assert not Registration.objects.filter(checked_in_at__isnull=False).exists()


def test_manual_search_without_javascript(client, event, staff):
    lin = RegistrationFactory(event=event, name="Lin Wei", email="lin@orbit.example")
    RegistrationFactory(event=event, name="Zhang San", email="zhang@example.org")
    RegistrationFactory(event=event, name="Lin Cancelled", status=Status.CANCELLED)
    page = client.get(URL, {"q": "lin"}).content.decode()
    assert "Lin Wei" in page and "Zhang San" not in page and "Lin Cancelled" not in page
    assert (
        client.get(URL, {"q": "orbit.example"}).content.decode().count("Lin Wei") == 1
    )
    response = client.post(URL, {"registration": lin.pk})
    assert "Checked in" in response.content.decode()
    lin.refresh_from_db()
    assert lin.checked_in_at is not None


def test_the_desk_may_use_the_camera_and_loads_its_script_from_the_site(
    client, event, staff
):
    response = client.get(URL)
    assert "camera=(self)" in response["Permissions-Policy"]
    assert "microphone=()" in response["Permissions-Policy"]
    html = response.content.decode()
    assert "/static/registrations/check-in.js" in html
    assert "/static/registrations/vendor/jsqr-1.4.0/jsQR.js" in html
    # Elsewhere the camera stays closed.
    assert "camera=()" in client.get("/events/forum/register/")["Permissions-Policy"]


def test_the_desk_asks_for_the_second_factor_when_the_admin_does(
    client, event, staff, settings
):
    settings.ADMIN_REQUIRE_2FA = True
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_desk_and_the_search_are_valid_html(client, event, staff):
    RegistrationFactory(event=event, name="Lin Wei")
    for response in [client.get(URL), client.get(URL, {"q": "lin"})]:
        assert response.status_code == 200
        assert_valid_html(response.content.decode())
