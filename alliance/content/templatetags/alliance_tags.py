from django import template
from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse

from alliance.content.models import InitiativeKind, Page
from alliance.kernel.context_processors import site as site_identity
from alliance.kernel.money import format_money

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


@register.simple_tag(takes_context=True)
def site_json_ld(context):
    """schema.org Organization data of the alliance itself, for the home page."""
    request = context["request"]
    identity = site_identity(request)
    data = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": identity["SITE_NAME"],
        "alternateName": identity["SITE_SHORT_NAME"],
        "description": identity["SITE_TAGLINE"],
        "url": request.build_absolute_uri(reverse("alliance:home")),
        "logo": request.build_absolute_uri(static("img/share.png")),
    }
    if identity["CONTACT_EMAIL"]:
        data["email"] = identity["CONTACT_EMAIL"]
    return data


@register.simple_tag(takes_context=True)
def scenario_json_ld(context, scenario):
    """schema.org data of a published application scenario: a project of its members."""
    request = context["request"]
    data = {
        "@context": "https://schema.org",
        "@type": "Project",
        "name": scenario.title,
        "description": scenario.summary,
        "url": request.build_absolute_uri(scenario.get_absolute_url()),
        "inLanguage": context.get("LANGUAGE_CODE", settings.LANGUAGE_CODE),
        # The field only while it is published: an unpublished one has no name here.
        "keywords": [
            *([scenario.public_field.name] if scenario.public_field else []),
            *scenario.space_data_labels,
        ],
        "member": [
            {
                "@type": "Organization",
                "name": participation.member.name,
                "url": request.build_absolute_uri(
                    participation.member.get_absolute_url()
                ),
            }
            for participation in scenario.participations.all()
        ],
    }
    if scenario.region:
        data["areaServed"] = scenario.region
    if scenario.image_large:
        data["image"] = request.build_absolute_uri(scenario.image_large.url)
    return data


@register.simple_tag(takes_context=True)
def initiative_json_ld(context, initiative):
    """schema.org data of a published initiative: a fund is a FundingScheme, the rest Projects.

    Its organizations are named as the page names them: a member's record
    only while it is published (see Participation.public_name).
    """
    request = context["request"]
    data = {
        "@context": "https://schema.org",
        "@type": "FundingScheme"
        if initiative.kind == InitiativeKind.FUND
        else "Project",
        "name": initiative.name,
        "description": initiative.summary,
        "url": request.build_absolute_uri(initiative.get_absolute_url()),
        "inLanguage": context.get("LANGUAGE_CODE", settings.LANGUAGE_CODE),
    }
    if initiative.launched_on:
        data["foundingDate"] = initiative.launched_on.isoformat()
    event = initiative.public_launched_at
    if event is not None:
        data["subjectOf"] = {
            "@type": "Event",
            "name": event.name,
            "url": request.build_absolute_uri(event.get_absolute_url()),
        }
    members = []
    for participation in getattr(initiative, "public_participations", []):
        organization = {"@type": "Organization", "name": participation.public_name}
        member = participation.public_member
        if member is not None:
            organization["url"] = request.build_absolute_uri(member.get_absolute_url())
        members.append(organization)
    if members:
        data["member"] = members
    return data


@register.simple_tag
def footer_pages():
    """The published site pages listed in the footer."""
    return Page.objects.published().filter(show_in_footer=True)
