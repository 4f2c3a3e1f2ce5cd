"""Template tags shared by every page: navigation, languages, Markdown."""

from django import template
from django.conf import settings
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from alliance.markdown import render_markdown

register = template.Library()

# (URL name, label). Names that do not resolve yet are skipped, so the
# navigation grows with the apps.
NAVIGATION = [
    ("news:article-list", _("News")),
    ("members:member-list", _("Members")),
    ("alliance:scenario-list", _("Scenarios")),
    ("alliance:event-list", _("Events")),
    ("alliance:search", _("Search")),
]


@register.filter(name="markdown")
def markdown_filter(text):
    """Render editor-written Markdown as sanitized HTML."""
    return mark_safe(render_markdown(text or ""))  # sanitized by nh3


@register.simple_tag(takes_context=True)
def nav_links(context):
    path = context["request"].path if "request" in context else ""
    links = []
    for name, label in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        links.append({"url": url, "label": label, "current": path.startswith(url)})
    return links


def _language_urls(request):
    path = request.get_full_path()
    current = get_language()
    for code, _name in settings.LANGUAGES:
        yield code, translate_url(path, code), code == current


@register.simple_tag(takes_context=True)
def language_links(context):
    """The current page in every language, for the switcher."""
    request = context.get("request")
    if request is None:
        return []
    return [
        {
            "code": code,
            "url": url,
            "current": current,
            "name": get_language_info(code)["name_local"],
        }
        for code, url, current in _language_urls(request)
    ]


@register.simple_tag(takes_context=True)
def language_alternates(context):
    """`<link rel="alternate" hreflang>` for the current page in every language."""
    request = context.get("request")
    if request is None:
        return ""
    links = [
        (request.build_absolute_uri(url), code)
        for code, url, _c in _language_urls(request)
    ]
    default_url = request.build_absolute_uri(
        translate_url(request.get_full_path(), settings.LANGUAGE_CODE)
    )
    return format_html_join(
        "\n  ", '<link rel="alternate" hreflang="{1}" href="{0}">', links
    ) + format_html(
        '\n  <link rel="alternate" hreflang="x-default" href="{}">', default_url
    )


@register.simple_tag
def footer_pages():
    from alliance.models import Page

    return Page.objects.published().filter(show_in_footer=True)


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs):
    """The current query string with some parameters replaced (for pagination links)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        query[key] = value
    return query.urlencode()
