"""Every event's iCalendar file, read back by two independent parsers."""

import datetime

import icalendar
import pytest
import vobject

from alliance.content.models import Event
from tests.factories import EventFactory

pytestmark = pytest.mark.django_db

# A carriage return alone, a line feed, RFC 5545's separators, CJK, and an
# attempt to start a property of its own from inside the title.
AWKWARD_NAME = "Forum\rDTSTART:19700101\nLOCATION:Elsewhere;with, 能源论坛 \x07bell"


@pytest.fixture
def events():
    EventFactory(
        slug="awkward",
        name=AWKWARD_NAME,
        summary="Line one\r\nline two; with, 重庆",
        venue="Hall 1; east, wing",
        starts_on=datetime.date(2023, 11, 20),
        ends_on=datetime.date(2023, 11, 21),
    )
    EventFactory(slug="long", name="A very long name that goes on and on " * 4 + "能源")
    EventFactory(slug="plain", summary="", description="", venue="", city="")
    EventFactory(slug="hidden", status="draft")


def test_every_calendar_file_parses_with_icalendar_and_vobject(client, events):
    events = list(Event.objects.published())
    assert len(events) == 3
    for event in events:
        response = client.get(f"/events/{event.slug}/event.ics")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        body = response.content
        assert body.startswith(b"BEGIN:VCALENDAR\r\n")
        assert body.endswith(b"END:VCALENDAR\r\n")
        # Every line ends CRLF and is at most 75 octets; no stray CR or LF.
        lines = body.split(b"\r\n")[:-1]
        assert all(len(line) <= 75 for line in lines)
        assert not any(b"\r" in line or b"\n" in line for line in lines)
        lines[0].decode()  # folding never splits a UTF-8 character

        calendar = icalendar.Calendar.from_ical(body)
        [entry] = calendar.walk("VEVENT")
        expected_name = event.name.replace("\r", "\n").replace("\x07", "")
        assert str(entry["SUMMARY"]) == expected_name
        assert entry.decoded("DTSTART") == event.starts_on
        # The end of an all-day event is exclusive: the day after the last day.
        assert entry.decoded("DTEND") == event.ends_on + datetime.timedelta(days=1)
        assert str(entry["URL"]) == f"http://testserver/events/{event.slug}/"

        parsed = vobject.readOne(body.decode())
        [vevent] = parsed.vevent_list
        assert vevent.summary.value == expected_name
        assert vevent.dtstart.value == event.starts_on
        assert len(vevent.contents["dtstart"]) == 1
        assert "location" not in vevent.contents or "Elsewhere" not in "".join(
            line.value for line in vevent.contents["location"]
        )


def test_text_is_escaped_as_rfc_5545_says(client, events):
    body = client.get("/events/awkward/event.ics").content.decode()
    unfolded = body.replace("\r\n ", "")
    assert (
        "SUMMARY:Forum\\nDTSTART:19700101\\nLOCATION:Elsewhere\\;with\\, 能源论坛 bell\r\n"
        in unfolded
    )
    assert "DESCRIPTION:Line one\\nline two\\; with\\, 重庆\r\n" in unfolded
    assert "LOCATION:Hall 1\\; east\\, wing\\, Chongqing\\, China\r\n" in unfolded
    assert unfolded.count("\r\nDTSTART") == 1


def test_a_draft_event_has_no_calendar_file(client, events):
    assert client.get("/events/hidden/event.ics").status_code == 404
