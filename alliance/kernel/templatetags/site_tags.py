"""Template tags shared by every page: navigation, languages, Markdown."""

import functools
import hashlib
import json
import re

from django import template
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.http import QueryDict
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import (
    get_language,
    get_language_from_path,
    get_language_info,
)
from django.utils.translation import gettext_lazy as _

from alliance.kernel.links import is_safe_link
from alliance.kernel.markdown import render_markdown
from alliance.kernel.response_cache import remember
from alliance.kernel.rich_text import render_rich_text

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
    ("alliance:initiative-list", _("Initiatives")),
    ("alliance:search", _("Search")),
]


@register.filter(name="markdown")
def markdown_filter(text):
    """Render editor-written Markdown as sanitized HTML."""
    return mark_safe(render_markdown(text or ""))  # sanitized by nh3


@register.filter
def machine_time(moment):
    """A moment as a `datetime` attribute takes it: ISO 8601 in the site's time
    zone, to the second (HTML allows at most three decimals; `date:'c'` gives six)."""
    if not moment:
        return ""
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


@register.filter
def link_url(url):
    """The address if it may be linked to (http, https, mailto), else an empty string.

    URL fields accept only web addresses on save; this keeps a value stored
    before that rule (or written around it) out of every href.
    """
    return url if is_safe_link(url) else ""


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
    """Members per sector as a horizontal bar chart, drawn on the server.

    The labels and counts are HTML text, so they keep the body's size and
    wrap on a phone; only the bars are SVG, each stretched to its row's
    width. Lengths go to the template as text: they are SVG numbers, never
    to be localized.
    """
    rows = [(s["name"], s["member_count"], s["slug"]) for s in sectors]
    top = max((count for _name, count, _slug in rows), default=0) or 1
    return {
        "bars": [
            {
                "label": name,
                "count": count,
                "slug": slug,
                # Out of 100; a sliver even for none, so every row has a bar.
                "length": f"{max(0.5, 100 * count / top):.1f}",
            }
            for name, count, slug in rows
        ]
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


# --- Sharing: canonical address, OpenGraph, Twitter card, page data ----------

# Query parameters that select what a list page shows; any other parameter
# (tracking tags, ?preview) is dropped from the canonical address.
CANONICAL_PARAMETERS = (
    "q",
    "tag",
    "member",
    "sector",
    "country",
    "tier",
    "field",
    "status",
    "page",
)
# The default share image, in static/ (1200 x 630, the size share cards ask for).
SHARE_IMAGE = ("img/share.png", 1200, 630)
# An image at least this wide is shown as a large card.
LARGE_CARD_WIDTH = 600
OG_LOCALES = {"en": "en_US", "zh-hans": "zh_CN"}


def canonical_url(request, page_number=None):
    """The page's absolute address in its language, with only the parameters that
    choose its content: none on a detail page, filters and page number on a list.

    `page_number` is the number of the list page shown (so ?page=last has the
    number of the last page as its canonical address); page 1 has none.
    """
    match = request.resolver_match
    is_detail = bool(match and (match.url_name or "").endswith("-detail"))
    query = QueryDict(mutable=True)
    if not is_detail:
        for name in CANONICAL_PARAMETERS:
            value = request.GET.get(name)
            if name == "page" and page_number is not None:
                value = str(page_number)
            if value and not (name == "page" and value == "1"):
                query[name] = value
    url = request.build_absolute_uri(request.path)
    return f"{url}?{query.urlencode()}" if query else url


def absolute_url(request, url):
    """An absolute URL for a path on this site; media on object storage already is one."""
    return url if "://" in url else request.build_absolute_uri(url)


@register.simple_tag(takes_context=True)
def share_data(
    context,
    title="",
    description="",
    image=None,
    image_width=None,
    image_height=None,
    image_alt="",
    og_type="website",
    page_type="WebPage",
):
    """What the page's share card and its schema.org WebPage data say.

    `image` is the record's own picture (a rendition, never the upload);
    without one the site's default share image stands in.
    """
    request = context.get("request")
    if request is None:  # a template rendered outside a request (an e-mail)
        return None
    site_name = context.get("SITE_NAME", settings.SITE_NAME)
    title = str(title or site_name)
    description = str(description or context.get("SITE_TAGLINE", ""))
    language = get_language() or settings.LANGUAGE_CODE
    page_obj = context.get("page_obj")
    # `is not None`: the truth of a page would fetch its items.
    url = canonical_url(request, page_obj.number if page_obj is not None else None)
    if image:
        picture = {
            "url": absolute_url(request, image.url),
            "width": image_width,
            "height": image_height,
            "alt": image_alt or title,
        }
    else:
        path, width, height = SHARE_IMAGE
        picture = {
            "url": absolute_url(request, static(path)),
            "width": width,
            "height": height,
            "alt": site_name,
        }
    large = (picture["width"] or 0) >= LARGE_CARD_WIDTH
    home = absolute_url(request, reverse("alliance:home"))
    return {
        "url": url,
        "type": og_type,
        "title": title,
        "description": description,
        "site_name": site_name,
        "image": picture,
        "twitter_card": "summary_large_image" if large else "summary",
        "locale": OG_LOCALES.get(language, language.replace("-", "_")),
        "alternate_locales": [
            OG_LOCALES.get(code, code.replace("-", "_"))
            for code, _name in settings.LANGUAGES
            if code != language
        ],
        "json_ld": {
            "@context": "https://schema.org",
            "@type": page_type,
            "name": title,
            "description": description,
            "url": url,
            "inLanguage": language,
            "primaryImageOfPage": {"@type": "ImageObject", "url": picture["url"]},
            "isPartOf": {"@type": "WebSite", "name": site_name, "url": home},
        },
    }
