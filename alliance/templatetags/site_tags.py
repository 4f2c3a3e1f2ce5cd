"""Template tags shared by every page: navigation, languages, Markdown."""

import json
import re

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext_lazy as _

from alliance.markdown import render_markdown

register = template.Library()

# Inside <script>, these could end the element or start markup.
JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}

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


@register.simple_tag(takes_context=True)
def json_ld(context, data):
    """Emit schema.org data as a JSON-LD script, escaped so text cannot close it."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        JSON_SCRIPT_ESCAPES
    )
    # Reading the lazy nonce makes the CSP header include it.
    nonce = getattr(context.get("request"), "csp_nonce", None)
    if nonce is not None:
        nonce = str(nonce)
        return format_html(
            '<script type="application/ld+json" nonce="{}">{}</script>',
            nonce,
            mark_safe(text),
        )
    return format_html(
        '<script type="application/ld+json">{}</script>', mark_safe(text)
    )


@register.filter
def highlight(text, query):
    """Escape text and wrap each occurrence of the query in <mark>."""
    text = str(text or "")
    if not query:
        return escape(text)
    pattern = re.compile(re.escape(query), re.IGNORECASE)
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(format_html("<mark>{}</mark>", match.group(0)))
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))


@register.inclusion_tag("includes/bar_chart.html")
def sector_chart(sectors):
    """Members per sector as a horizontal bar chart in SVG, drawn on the server."""
    rows = [(sector.name, sector.member_count, sector.slug) for sector in sectors]
    top = max((count for _name, count, _slug in rows), default=0) or 1
    row_height, label_width, bar_space = 34, 230, 300
    bars = [
        {
            "label": name,
            "count": count,
            "slug": slug,
            "y": index * row_height,
            "text_y": index * row_height + 21,
            "width": max(2, round(bar_space * count / top)),
            "count_x": label_width + max(2, round(bar_space * count / top)) + 8,
        }
        for index, (name, count, slug) in enumerate(rows)
    ]
    return {
        "bars": bars,
        "height": max(row_height * len(rows), row_height),
        "width": label_width + bar_space + 50,
        "label_width": label_width,
        "label_x": label_width - 10,
    }


@register.simple_tag(takes_context=True)
def query_without(context, *names):
    """The current query string without some parameters (and back to page 1)."""
    query = context["request"].GET.copy()
    for name in (*names, "page"):
        query.pop(name, None)
    return query.urlencode()
