"""What an event's page says about registration, without the event knowing of this app."""

from django import template
from django.utils import timezone

register = template.Library()


@register.inclusion_tag("registrations/includes/event_box.html")
def registration_box(event):
    """A link to the form while the event has not ended; nothing for events without settings.

    The page is cached until content changes (saving the settings is one),
    so the box says nothing that changes by itself: whether the form is
    open yet, or full, the form's own page tells. The event's page reads the
    settings with the event (this app's `event_page_relations`); an event
    fetched otherwise has them fetched here.
    """
    settings = getattr(event, "registration_settings", None)
    if settings is None or event.ends_on < timezone.localdate():
        return {"event": None}
    return {"event": event, "settings": settings}
