"""iCalendar (RFC 5545) files for events, written with the standard library."""

import datetime

from django.utils import timezone


def escape_text(value: str) -> str:
    """Escape a TEXT value: backslash, semicolon, comma and newlines."""
    return (
        (value or "")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Fold a content line at 75 octets, never inside a UTF-8 character."""
    encoded = line.encode()
    if len(encoded) <= 75:
        return line
    parts, current, limit = [], b"", 75
    for char in line:
        piece = char.encode()
        if len(current) + len(piece) > limit:
            parts.append(current.decode())
            current, limit = b"", 74  # continuation lines start with a space
        current += piece
    parts.append(current.decode())
    return "\r\n ".join(parts)


def event_calendar(event, *, url: str, host: str) -> str:
    """A VCALENDAR with one all-day VEVENT."""
    location = ", ".join(
        part
        for part in (
            event.venue,
            event.city,
            event.country.name if event.country else "",
        )
        if part
    )
    # DTEND of an all-day event is exclusive: the day after the last day.
    end = event.ends_on + datetime.timedelta(days=1)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:-//{host}//Events//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:event-{event.pk}@{host}",
        f"DTSTAMP:{timezone.now().astimezone(datetime.UTC).strftime('%Y%m%dT%H%M%SZ')}",
        f"DTSTART;VALUE=DATE:{event.starts_on.strftime('%Y%m%d')}",
        f"DTEND;VALUE=DATE:{end.strftime('%Y%m%d')}",
        f"SUMMARY:{escape_text(event.name)}",
        f"DESCRIPTION:{escape_text(event.summary or event.description)}",
        f"LOCATION:{escape_text(location)}",
        f"URL:{url}",
        f"LAST-MODIFIED:{event.updated_at.astimezone(datetime.UTC).strftime('%Y%m%dT%H%M%SZ')}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(fold(line) + "\r\n" for line in lines)
