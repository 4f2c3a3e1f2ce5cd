"""Template tags shared by every page: navigation, languages, Markdown."""

import functools
import hashlib
import json
import re

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import (
    get_language,
    get_language_from_path,
    get_language_info,
)
from django.utils.translation import gettext_lazy as _

from alliance.markdown import render_markdown
from alliance.response_cache import remember
from alliance.rich_text import render_rich_text

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


@register.filter(name="rich_text")
def rich_text_filter(text):
    """Show a body written in the rich-text editor: sanitized HTML with heading permalinks."""
    return mark_safe(render_rich_text(text or ""))  # sanitized by nh3


@functools.lru_cache(maxsize=8)
def _navigation(language):
    """(URL, label) of the navigation in one language; the URLs never change while running."""
    links = []
    for name, label in NAVIGATION:
        try:
            links.append((reverse(name), label))
        except NoReverseMatch:
            continue
    return links


@register.simple_tag(takes_context=True)
def nav_links(context):
    path = context["request"].path if "request" in context else ""
    return [
        {"url": url, "label": label, "current": path.startswith(url)}
        for url, label in _navigation(get_language())
    ]


def language_paths(path):
    """The same address in every language: the default unprefixed, the others under /<code>/.

    Every page sits under i18n_patterns with the same paths in each language,
    so swapping the prefix is all that translate_url() would do, without
    resolving and reversing the address for each language on every page.
    """
    current = get_language_from_path(path)
    if current and current != settings.LANGUAGE_CODE:
        path = path[len(current) + 1 :] or "/"
    return {
        code: path if code == settings.LANGUAGE_CODE else f"/{code}{path}"
        for code, _name in settings.LANGUAGES
    }


@register.simple_tag(takes_context=True)
def language_links(context):
    """The current page in every language, for the switcher."""
    request = context.get("request")
    if request is None:
        return []
    current = get_language()
    return [
        {
            "code": code,
            "url": url,
            "current": code == current,
            "name": get_language_info(code)["name_local"],
        }
        for code, url in language_paths(request.get_full_path()).items()
    ]


@register.simple_tag(takes_context=True)
def language_alternates(context):
    """`<link rel="alternate" hreflang>` for the current page in every language."""
    request = context.get("request")
    if request is None:
        return ""
    paths = language_paths(request.get_full_path())
    origin = request.build_absolute_uri("/")[:-1]
    links = [(origin + url, code) for code, url in paths.items()]
    links.append((origin + paths[settings.LANGUAGE_CODE], "x-default"))
    return format_html_join(
        "\n  ", '<link rel="alternate" hreflang="{1}" href="{0}">', links
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


@register.simple_tag
def json_ld(data):
    """Emit schema.org data as a JSON-LD script, escaped so text cannot close it.

    A JSON-LD block is data, never run, so the Content-Security-Policy does not
    apply to it and it needs no nonce: pages stay the same for every visitor,
    which lets them be cached whole.
    """
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(
        JSON_SCRIPT_ESCAPES
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
    """Members per sector as a horizontal bar chart in SVG, drawn on the server.

    Coordinates go to the template as text: they are SVG numbers, never to
    be localized (and localizing each costs more than drawing the chart).
    """
    rows = [(s["name"], s["member_count"], s["slug"]) for s in sectors]
    top = max((count for _name, count, _slug in rows), default=0) or 1
    row_height, label_width, bar_space = 34, 230, 300
    bars = []
    for index, (name, count, slug) in enumerate(rows):
        width = max(2, round(bar_space * count / top))
        y = index * row_height
        bars.append(
            {
                "label": name,
                "count": count,
                "slug": slug,
                "rect_y": str(y + 6),
                "text_y": str(y + 21),
                "width": str(width),
                "count_x": str(label_width + width + 8),
            }
        )
    return {
        "bars": bars,
        "height": str(max(row_height * len(rows), row_height)),
        "width": str(label_width + bar_space + 50),
        "label_width": str(label_width),
        "label_x": str(label_width - 10),
    }


@register.simple_tag(takes_context=True)
def query_without(context, *names):
    """The current query string without some parameters (and back to page 1)."""
    query = context["request"].GET.copy()
    for name in (*names, "page"):
        query.pop(name, None)
    return query.urlencode()


class FragmentNode(template.Node):
    def __init__(self, nodelist, vary_on):
        self.nodelist = nodelist
        self.vary_on = vary_on

    def render(self, context):
        parts = [get_language() or "", *(str(v.resolve(context)) for v in self.vary_on)]
        digest = hashlib.md5("|".join(parts).encode(), usedforsecurity=False)
        return remember(
            f"fragment:{digest.hexdigest()}",
            lambda: mark_safe(self.nodelist.render(context)),
        )


@register.tag
def fragment(parser, token):
    """Render a part of a page once per state of the content and language.

    `{% fragment "logo-wall" [more values to vary on] %}...{% endfragment %}`:
    for parts that many requests share and that cost more to render than to
    fetch. The part is rendered again as soon as any public content changes.
    """
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% fragment %} needs a name.")
    nodelist = parser.parse(("endfragment",))
    parser.delete_first_token()
    return FragmentNode(nodelist, [parser.compile_filter(bit) for bit in bits[1:]])
