from django import template
from django.conf import settings

from alliance.context_processors import site as site_identity
from alliance.money import format_money

register = template.Library()


@register.simple_tag
def money(amount, currency):
    """An amount with its currency, written the way the current language says it."""
    return format_money(amount, currency)


@register.simple_tag(takes_context=True)
def event_json_ld(context, event):
    """schema.org Event data of a published event."""
    request = context["request"]
    data = {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.name,
        "description": event.summary,
        "startDate": event.starts_on.isoformat(),
        "endDate": event.ends_on.isoformat(),
        "eventStatus": "https://schema.org/EventScheduled",
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "url": request.build_absolute_uri(event.get_absolute_url()),
        "inLanguage": context.get("LANGUAGE_CODE", settings.LANGUAGE_CODE),
        "organizer": {
            "@type": "Organization",
            "name": site_identity(request)["SITE_NAME"],
        },
    }
    if event.city or event.venue:
        data["location"] = {
            "@type": "Place",
            "name": event.venue or event.city,
            "address": {
                "@type": "PostalAddress",
                "addressLocality": event.city,
                "addressCountry": event.country.code if event.country else "",
            },
        }
    return data
