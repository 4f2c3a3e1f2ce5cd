from django import template
from django.conf import settings
from django.utils.html import format_html
from django.utils.translation import get_language

from alliance.kernel.links import is_safe_link

register = template.Library()


def placeholder_name(member):
    """What stands in for a missing logo: the short name in the page's language.

    Without a short name in that language, the full name in it (a Chinese
    page shows Chinese, never English letters while a Chinese name exists);
    the other language's short name comes last.
    """
    column = (get_language() or settings.LANGUAGE_CODE).replace("-", "_")
    return (
        getattr(member, f"short_name_{column}", "")
        or getattr(member, f"name_{column}", "")
        or member.display_name
    )


@register.simple_tag
def member_logo(member, name=None):
    """The member's small logo (with its larger copy for dense screens), or its name.

    Drawn here rather than by an included template: directory pages show
    dozens of logos, and an include per logo costs more than the rest of
    the tile.
    """
    if not member.logo_small:
        return format_html(
            '<span class="logo-placeholder" aria-hidden="true">'
            '<span class="logo-placeholder__name">{}</span></span>',
            placeholder_name(member),
        )
    small = member.logo_small.url
    srcset = (
        format_html(' srcset="{} 1x, {} 2x"', small, member.logo_large.url)
        if member.logo_large
        else ""
    )
    return format_html(
        '<img src="{}"{} alt="" width="{}" height="{}" loading="lazy">',
        small,
        srcset,
        member.logo_small_width or "",
        member.logo_small_height or "",
    )


@register.simple_tag(takes_context=True)
def member_json_ld(context, member):
    """schema.org Organization data of a published member (public fields only)."""
    request = context["request"]
    data = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": member.name,
        "url": request.build_absolute_uri(member.get_absolute_url()),
        "description": member.summary,
        "address": {
            "@type": "PostalAddress",
            "addressLocality": member.city,
            "addressCountry": member.country.code,
        },
    }
    if member.short_name:
        data["alternateName"] = member.short_name
    if is_safe_link(member.website):
        data["sameAs"] = [member.website]
    if member.logo_large:
        data["logo"] = request.build_absolute_uri(member.logo_large.url)
    return data
