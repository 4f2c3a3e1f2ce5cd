"""iCalendar (RFC 5545) files for events, written with the `icalendar` library.

The library escapes TEXT values (backslash, semicolon, comma, line breaks,
a lone carriage return included) and folds long lines without splitting a
UTF-8 character; nothing a title holds can start a property of its own.
"""

import datetime
import re

import icalendar
from django.utils import timezone

# RFC 5545 TEXT admits no control character but the line break (escaped
# as \n); every other one is dropped.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text(value):
    """A TEXT value: line breaks of any kind kept as line breaks, other controls dropped."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARACTERS.sub("", value)


def event_calendar(event, *, url: str, host: str) -> bytes:
    """A VCALENDAR with one all-day VEVENT."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", f"-//{text(host)}//Events//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")

    entry = icalendar.Event()
    entry.add("uid", f"event-{event.pk}@{text(host)}")
    entry.add("dtstamp", timezone.now().astimezone(datetime.UTC))
    entry.add("dtstart", event.starts_on)
    # DTEND of an all-day event is exclusive: the day after the last day.
    entry.add("dtend", event.ends_on + datetime.timedelta(days=1))
    entry.add("summary", text(event.name))
    description = event.summary or event.description
    if description:
        entry.add("description", text(description))
    location = ", ".join(
        part
        for part in (
            event.venue,
            event.city,
            event.country.name if event.country else "",
        )
        if part
    )
    if location:
        entry.add("location", text(location))
    entry.add("url", url)
    entry.add("last-modified", event.updated_at.astimezone(datetime.UTC))
    calendar.add_component(entry)
    return calendar.to_ical()
