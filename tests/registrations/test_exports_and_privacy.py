"""Registrants for the organizers only: exports from the admin, nothing on public surfaces, erasure."""

import datetime
import io
import re

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.utils import timezone
from openpyxl import load_workbook

from alliance.kernel.changes import current_generation
from members.spreadsheets import BYTE_ORDER_MARK
from registrations.models import Registration, Status
from tests.factories import (
    EventFactory,
    RegistrationFactory,
    RegistrationSettingsFactory,
)
from tests.helpers import role_group

pytestmark = pytest.mark.django_db

LIST = "/admin/registrations/registration/"


@pytest.fixture
def event():
    event = EventFactory(slug="forum", name_en="Space data forum")
    RegistrationSettingsFactory(event=event)
    return event


@pytest.fixture
def staff_client(client):
    user = User.objects.create_user("door", password="x", is_staff=True)
    user.groups.add(role_group("Event staff"))
    client.force_login(user)
    return client


def action(client, name, registrations):
    return client.post(
        LIST, {"action": name, "_selected_action": [r.pk for r in registrations]}
    )


def test_csv_export_has_a_byte_order_mark_and_no_formulas(staff_client, event):
    people = [
        RegistrationFactory(event=event, name="林伟", organization="=HYPERLINK(1)"),
        RegistrationFactory(event=event, name="Ann", checked_in_at=timezone.now()),
    ]
    response = action(staff_client, "export_csv", people)
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.csv"')
    text = response.content.decode("utf-8")
    assert text.startswith(BYTE_ORDER_MARK)
    assert "林伟" in text
    assert "'=HYPERLINK(1)" in text
    header = text.removeprefix(BYTE_ORDER_MARK).splitlines()[0]
    assert header.startswith("event,status,name,email")


def test_xlsx_export_keeps_text_as_text(staff_client, event):
    person = RegistrationFactory(event=event, name="=1+1")
    response = action(staff_client, "export_xlsx", [person])
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("event", "status", "name")
    assert rows[1][2] == "=1+1"
    assert sheet.cell(row=2, column=3).data_type == "s"


def test_badges_are_a_pdf_with_the_chinese_font_embedded(staff_client, event):
    people = [
        RegistrationFactory(event=event, name="林伟", organization="天链科技"),
        *RegistrationFactory.create_batch(8, event=event),
    ]
    response = action(staff_client, "badges_pdf", people)
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert b"NotoSansCJK" in pdf
    # Nine badges, eight to a sheet: two pages.
    assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 2


def test_editors_see_no_registrants(client, event):
    RegistrationFactory(event=event)
    editor = User.objects.create_user("ed", password="x", is_staff=True)
    editor.groups.add(role_group("Editors"))
    client.force_login(editor)
    assert client.get(LIST).status_code == 403
    # They do manage the settings of the form.
    assert client.get("/admin/registrations/registrationsettings/").status_code == 200


def test_registrants_appear_on_no_public_surface(client, event, settings):
    RegistrationFactory(
        event=event,
        name="Secretname Zhou",
        email="secret@hidden.example",
        organization="Hiddenorg",
    )
    for path in [
        "/events/forum/",
        "/zh-hans/events/forum/",
        "/events/",
        "/",
        "/search/?q=Secretname",
        "/search/?q=Hiddenorg",
        "/sitemap.xml",
        "/sitemap-events.xml",
        "/news/feed/rss/",
        "/api/v1/events/forum/",
        "/api/v1/events/",
        "/api/schema/",
        "/events/forum/event.ics",
        "/events/forum/register/",
        "/events/forum/register/thanks/",
    ]:
        response = client.get(path)
        body = response.content.decode(errors="replace")
        for secret in ["Secretname", "secret@hidden", "Hiddenorg"]:
            # The search page repeats what was asked; nothing else may show.
            if f"q={secret}" not in path:
                assert secret not in body, (path, secret)


def test_erasure_after_the_retention_time_is_idempotent(event, client):
    past = EventFactory(
        slug="past",
        starts_on=timezone.localdate() - datetime.timedelta(days=40),
        ends_on=timezone.localdate() - datetime.timedelta(days=39),
    )
    RegistrationSettingsFactory(event=past, retention_days=30)
    old = RegistrationFactory(
        event=past, name="Old Person", checked_in_at=timezone.now()
    )
    link = old.get_manage_url()
    current = RegistrationFactory(event=event, name="New Person")
    out = io.StringIO()
    call_command("erase_registrations", stdout=out)
    assert "Erased the details of 1 registration(s)." in out.getvalue()
    old.refresh_from_db()
    assert (old.name, old.email, old.organization, old.answers) == ("", "", "", {})
    assert old.anonymized_at is not None
    # What counts stays: the event, the status, that the person came.
    assert old.status == Status.CONFIRMED and old.checked_in_at is not None
    current.refresh_from_db()
    assert current.name == "New Person"
    assert client.get(link).status_code == 404
    call_command("erase_registrations", stdout=out)
    assert "Erased the details of 0 registration(s)." in out.getvalue()
    assert Registration.objects.filter(anonymized_at__isnull=False).count() == 1


def test_registrations_leave_cached_pages_be_and_settings_refresh_them(event):
    before = current_generation()
    RegistrationFactory(event=event)
    assert current_generation() == before
    event.registration_settings.capacity = 10
    event.registration_settings.save()
    assert current_generation() != before
