"""Registering for an event through its form, as a visitor does, and the registrant's own page."""

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registrations.models import Approval, Question, QuestionKind, Registration, Status
from tests.factories import (
    EventFactory,
    MemberFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
)
from tests.helpers import assert_valid_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    event = EventFactory(
        slug="forum", name_en="Space data forum", name_zh_hans="空间数据论坛"
    )
    RegistrationSettingsFactory(event=event, capacity=2)
    return event


def data(**overrides):
    return {
        "name": "Lin Wei",
        "email": "lin@example.org",
        "organization": "Orbit Works",
        "title": "Engineer",
        "country": "CN",
        "language": "en",
        "consent": "on",
        "website_url_confirm": "",
        **overrides,
    }


def register(client, path="/events/forum/register/", **overrides):
    return client.post(path, data(**overrides))


def manage_url(message):
    return re.search(r"https?://\S+/registration/\S+/", message.body).group(0)


def test_an_event_without_settings_takes_no_registrations_and_shows_no_link(client):
    EventFactory(slug="meeting")
    assert client.get("/events/meeting/register/").status_code == 404
    assert b"/register/" not in client.get("/events/meeting/").content


def test_the_event_page_links_to_the_form(client, event):
    html = client.get("/events/forum/").content.decode()
    assert 'href="/events/forum/register/"' in html
    assert (
        'href="/zh-hans/events/forum/register/"'
        in client.get("/zh-hans/events/forum/").content.decode()
    )


def test_the_link_costs_the_event_page_no_query_of_its_own(client, settings, event):
    """The settings come with the event, in its query (`event_page_relations`)."""
    settings.RESPONSE_CACHE_SECONDS = 0  # measure the page, not the response cache
    EventFactory(slug="meeting")

    def queries(path):
        client.get(path)  # fragments shared by every page, cached
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        return len(captured), response.content.decode()

    with_settings, html = queries("/events/forum/")
    without_settings, _ = queries("/events/meeting/")
    assert 'href="/events/forum/register/"' in html
    assert with_settings == without_settings == 6


def test_the_form_is_valid_html_in_both_languages(client, event):
    for path in ["/events/forum/register/", "/zh-hans/events/forum/register/"]:
        response = client.get(path)
        assert response.status_code == 200
        assert_valid_html(response.content.decode())
    assert "报名参加" in client.get("/zh-hans/events/forum/register/").content.decode()


def test_a_registration_is_confirmed_with_a_ticket_and_a_calendar_file(client, event):
    response = register(client)
    assert response.status_code == 302
    assert response["Location"] == "/events/forum/register/thanks/"
    registration = Registration.objects.get()
    assert registration.status == Status.CONFIRMED
    assert (registration.name, registration.email) == ("Lin Wei", "lin@example.org")
    [message] = mail.outbox
    assert message.to == ["lin@example.org"]
    assert "confirmed" in message.body
    names = {name: content for name, content, _type in message.attachments}
    assert set(names) == {"forum.ics", "ticket.png"}
    assert "BEGIN:VEVENT" in names["forum.ics"]
    assert names["ticket.png"].startswith(b"\x89PNG")
    assert client.get(manage_url(message)).status_code == 200


def test_a_registration_in_chinese_is_answered_in_chinese(client, event):
    response = register(client, "/zh-hans/events/forum/register/", language="zh-hans")
    assert response["Location"] == "/zh-hans/events/forum/register/thanks/"
    [message] = mail.outbox
    assert "空间数据论坛" in message.subject
    assert "已确认" in message.body
    assert Registration.objects.get().language == "zh-hans"


def test_the_ticket_holds_a_signed_token_and_no_personal_data(event):
    registration = RegistrationFactory(
        event=event, name="Lin Wei", email="lin@example.org"
    )
    token = registration.ticket_token
    assert "Lin" not in token and "example" not in token
    assert token.startswith(registration.code + ":")
    # The ticket is no key to the registrant's page, and a forged one is refused.
    assert Registration.code_from(token, salt="registrations.manage") is None
    assert (
        Registration.code_from(
            registration.code + ":forged", salt="registrations.ticket"
        )
        is None
    )


def test_a_second_registration_of_the_same_address_looks_the_same_to_a_stranger(
    client, event
):
    first = register(client)
    second = register(client, name="Someone else", email="LIN@example.org ")
    # The same answer: nothing tells a stranger that the address is registered.
    assert second.status_code == first.status_code == 302
    assert second["Location"] == first["Location"]
    assert Registration.objects.count() == 1
    assert Registration.objects.get().name == "Lin Wei"
    # Only the owner of the address hears of it, by email.
    reminder = mail.outbox[-1]
    assert reminder.to == ["lin@example.org"]
    assert "already registered" in reminder.subject
    assert "first registration stands" in reminder.body


def test_when_the_event_is_full_people_join_the_waiting_list(client, event):
    register(client, email="a@example.org")
    register(client, email="b@example.org")
    page = client.get("/events/forum/register/").content.decode()
    assert "Join the waiting list" in page
    register(client, email="c@example.org")
    statuses = dict(Registration.objects.values_list("email", "status"))
    assert statuses == {
        "a@example.org": Status.CONFIRMED,
        "b@example.org": Status.CONFIRMED,
        "c@example.org": Status.WAITLISTED,
    }
    assert "waiting list" in mail.outbox[-1].body
    assert [name for name, *_ in mail.outbox[-1].attachments] == []


def test_a_full_event_without_waiting_list_closes_the_form_with_a_clear_message(
    client, event
):
    event.registration_settings.waitlist = False
    event.registration_settings.save()
    RegistrationFactory.create_batch(2, event=event)
    response = client.get("/events/forum/register/")
    assert "The event is full" in response.content.decode()
    assert b'<form class="form"' not in response.content
    assert Registration.objects.count() == 2


def test_a_cancellation_confirms_the_first_on_the_waiting_list_and_tells_them(
    client, event
):
    register(client, email="a@example.org")
    register(client, email="b@example.org")
    register(client, email="c@example.org", language="zh-hans")
    register(client, email="d@example.org")
    link = manage_url(mail.outbox[0])
    mail.outbox.clear()
    response = client.post(link, {"action": "cancel"})
    assert response.status_code == 302
    statuses = dict(Registration.objects.values_list("email", "status"))
    assert statuses["a@example.org"] == Status.CANCELLED
    assert statuses["c@example.org"] == Status.CONFIRMED
    assert statuses["d@example.org"] == Status.WAITLISTED
    promoted = next(m for m in mail.outbox if m.to == ["c@example.org"])
    assert "名额" in promoted.subject
    assert "ticket.png" in [name for name, *_ in promoted.attachments]
    # Cancelling again changes nothing, and the page says so.
    assert client.post(link, {"action": "cancel"}).status_code == 409
    assert Registration.objects.filter(status=Status.CONFIRMED).count() == 2
    # The address may register again, as a new registration.
    register(client, email="a@example.org")
    assert Registration.objects.filter(email="a@example.org").count() == 2


def test_a_registrant_changes_their_details_through_the_private_link(client, event):
    register(client)
    link = manage_url(mail.outbox[0])
    page = client.get(link)
    assert page["Cache-Control"].startswith("max-age=0")
    assert "Lin Wei" in page.content.decode()
    assert_valid_html(page.content.decode())
    response = client.post(
        link, data(name="Lin Wei-Ming", organization="Sky Eye", action="change")
    )
    assert response.status_code == 302
    registration = Registration.objects.get()
    assert (registration.name, registration.organization) == ("Lin Wei-Ming", "Sky Eye")
    assert registration.email == "lin@example.org"  # not changed by the form
    assert client.post(link, data(name="", action="change")).status_code == 400


def test_a_wrong_or_tampered_link_is_a_404(client, event):
    registration = RegistrationFactory(event=event)
    assert (
        client.get(f"/events/forum/registration/{registration.code}:nope/").status_code
        == 404
    )
    assert (
        client.get(
            f"/events/forum/registration/{registration.ticket_token}/"
        ).status_code
        == 404
    )


def test_the_honeypot_refuses_bots(client, event):
    response = register(client, website_url_confirm="http://spam.example")
    assert response.status_code == 400
    assert Registration.objects.count() == 0
    assert mail.outbox == []


def test_clear_errors_and_nothing_stored_for_bad_input(client, event):
    response = register(client, email="not-an-address", name="Lin\nWei", consent="")
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert set(errors) == {"email", "name", "consent"}
    assert "Please correct the fields marked below." in response.content.decode()
    assert Registration.objects.count() == 0


def test_a_rate_limit_per_address_answers_429(client, event, settings):
    settings.REGISTRATION_RATE_LIMIT = 2
    for n in range(2):
        assert register(client, email=f"{n}@example.org").status_code == 302
    response = register(client, email="third@example.org")
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert Registration.objects.count() == 2


def test_the_form_is_closed_before_it_opens_and_after_it_closes(client, event):
    settings = event.registration_settings
    settings.opens_at = timezone.now() + datetime.timedelta(days=1)
    settings.save()
    response = client.get("/events/forum/register/")
    assert "Registration opens on" in response.content.decode()
    assert register(client).status_code == 409
    assert Registration.objects.count() == 0
    settings.opens_at = None
    settings.save()
    with time_machine.travel(timezone.now() + datetime.timedelta(days=40)):
        assert "closed" in client.get("/events/forum/register/").content.decode()
        assert register(client).status_code == 409
        assert Registration.objects.count() == 0


def test_members_are_confirmed_at_once_and_others_await_approval(
    client, event, admin_client
):
    MemberFactory(website="https://www.orbit.example/")
    settings = event.registration_settings
    settings.approval = Approval.NON_MEMBERS
    settings.capacity = None
    settings.save()
    register(client, email="lin@orbit.example")
    register(client, email="guest@elsewhere.example")
    member, guest = Registration.objects.order_by("pk")
    assert member.status == Status.CONFIRMED and member.member is not None
    assert guest.status == Status.PENDING
    assert "approval" in mail.outbox[-1].body
    mail.outbox.clear()
    response = admin_client.post(
        "/admin/registrations/registration/",
        {"action": "approve_selected", "_selected_action": [guest.pk]},
    )
    assert response.status_code == 302
    guest.refresh_from_db()
    assert guest.status == Status.CONFIRMED
    assert [m.to for m in mail.outbox] == [["guest@elsewhere.example"]]


def test_own_questions_are_asked_checked_and_stored(client, event):
    settings = event.registration_settings
    meal = Question.objects.create(
        settings=settings,
        label_en="Meal",
        label_zh_hans="餐食",
        kind=QuestionKind.CHOICE,
        choices_en="Vegetarian\nAny",
        required=True,
    )
    guests = Question.objects.create(
        settings=settings, label_en="Guests", kind=QuestionKind.NUMBER
    )
    page = client.get("/events/forum/register/").content.decode()
    assert "Meal" in page and "Vegetarian" in page
    bad = register(client, **{meal.field_name: "Steak", guests.field_name: "-1"})
    assert bad.status_code == 400
    assert set(bad.context["form"].errors) == {meal.field_name, guests.field_name}
    register(client, **{meal.field_name: "Vegetarian", guests.field_name: "2"})
    assert Registration.objects.get().answers == {
        str(meal.pk): "Vegetarian",
        str(guests.pk): 2,
    }


def test_the_registration_pages_are_never_stored_in_the_response_cache(
    client, event, settings
):
    settings.RESPONSE_CACHE_SECONDS = 600
    first = client.get("/events/forum/register/")
    assert "csrftoken" in first.cookies or "Cookie" in first.get("Vary", "")
    assert "no-cache" in first["Cache-Control"] or "max-age=0" in first["Cache-Control"]


def test_raising_the_capacity_in_the_admin_confirms_the_waiting_list(
    admin_client, event
):
    RegistrationFactory.create_batch(2, event=event)
    first, second, third = RegistrationFactory.create_batch(
        3, event=event, status=Status.WAITLISTED
    )
    page = admin_client.get(
        f"/admin/registrations/registrationsettings/{event.pk}/change/"
    )
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in {**form.initial}.items()
        if value is not None and not isinstance(value, list | dict)
    }
    data.update(
        {
            "event": event.pk,
            "capacity": 4,
            "retention_days": 90,
            "approval": "none",
            "waitlist": "on",
            "ask_organization": "on",
            "questions-TOTAL_FORMS": 0,
            "questions-INITIAL_FORMS": 0,
        }
    )
    for name in ("opens_at", "closes_at"):
        data.pop(name, None)
    response = admin_client.post(
        f"/admin/registrations/registrationsettings/{event.pk}/change/", data
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    statuses = [
        r.status
        for r in Registration.objects.filter(
            pk__in=[first.pk, second.pk, third.pk]
        ).order_by("pk")
    ]
    assert statuses == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITLISTED]
    assert sorted(m.to[0] for m in mail.outbox) == sorted([first.email, second.email])


def test_after_the_form_closes_details_are_fixed_but_a_place_can_be_given_back(
    client, event
):
    registration = RegistrationFactory(event=event)
    waiting = RegistrationFactory(event=event, status=Status.WAITLISTED)
    settings = event.registration_settings
    settings.closes_at = timezone.now() - datetime.timedelta(hours=1)
    settings.save()
    link = registration.get_manage_url()
    page = client.get(link).content.decode()
    assert "Change your details" not in page and "Cancel my registration" in page
    assert client.post(link, data(name="Changed", action="change")).status_code == 409
    assert client.post(link, {"action": "cancel"}).status_code == 302
    waiting.refresh_from_db()
    assert waiting.status == Status.CONFIRMED
