from django import template

register = template.Library()


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
    if member.website:
        data["sameAs"] = [member.website]
    if member.logo_large:
        data["logo"] = request.build_absolute_uri(member.logo_large.url)
    return data
