"""Markdown to safe HTML, for every text field that editors write in Markdown.

Rendering happens on output and always ends with nh3 (the Ammonia sanitizer):
whatever the Markdown contains, no script, event handler attribute or
javascript: URL reaches a reader. Headings get stable ids and a permalink.
"""

from functools import lru_cache

import markdown
import nh3
from django.utils import translation
from django.utils.translation import gettext
from markdown.extensions.toc import slugify_unicode

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em",
    "figcaption", "figure", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li",
    "ol", "p", "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th",
    "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title", "class"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height", "loading"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "h5": {"id"},
    "h6": {"id"},
    "td": {"align"},
    "th": {"align", "scope"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def sanitize_html(html: str) -> str:
    """Keep only harmless markup: the allow-lists above, safe URL schemes."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def render_markdown(text: str) -> str:
    """Render Markdown to sanitized HTML, in the active language (the permalinks' titles)."""
    if not text:
        return ""
    return _render(text, translation.get_language())


@lru_cache(maxsize=1024)
def _render(text: str, language: str) -> str:
    """Cached by text and language: the same pair renders the same."""
    with translation.override(language):
        permalink_title = gettext("Permanent link")
    html = markdown.markdown(
        text,
        extensions=["extra", "sane_lists", "toc"],
        extension_configs={
            # The page title is the only h1, so h1 is not in the allow-list:
            # body sections start at "##".
            "toc": {
                "permalink": "#",
                "permalink_class": "anchor",
                "permalink_title": permalink_title,
                # Keeps Chinese headings addressable.
                "slugify": slugify_unicode,
            },
        },
        output_format="html",
    )
    return sanitize_html(html)
