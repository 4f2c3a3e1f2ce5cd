"""Bilingual helpers for templates: which language a text is in, fallback notices, share cards."""

import functools
from urllib.parse import urlencode

import segno
from django import template
from django.conf import settings
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, get_language_info
from django.utils.translation import gettext as _

from alliance.kernel.templatetags.site_tags import language_paths

register = template.Library()


def _column(code):
    return code.replace("-", "_")


@register.simple_tag
def content_language(obj, field):
    """The language the shown value of a translated field is actually in.

    When the current language's text is empty, the fallback language's text is
    shown instead; pages mark it with its own `lang` so that screen readers and
    browsers handle it properly.
    """
    current = get_language() or settings.LANGUAGE_CODE
    if getattr(obj, f"{field}_{_column(current)}", None):
        return current
    for code, _name in settings.LANGUAGES:
        if getattr(obj, f"{field}_{code.replace('-', '_')}", None):
            return code
    return current


@register.simple_tag
def translation_notice(obj, *fields):
    """A note when some of these fields are shown in another language than the page's."""
    current = get_language() or settings.LANGUAGE_CODE
    shown = {content_language(obj, field) for field in fields} - {current}
    if not shown:
        return ""
    fallback = shown.pop()
    return format_html(
        '<p class="notice notice--language" role="note">{}</p>',
        _(
            "This text is not available in %(language)s yet; it is shown in %(fallback)s."
        )
        % {
            "language": get_language_info(current)["name_translated"],
            "fallback": get_language_info(fallback)["name_translated"],
        },
    )


@functools.lru_cache(maxsize=1024)
def qr_svg(url):
    """The SVG of a QR code of `url`, without its label.

    Drawing a code takes several milliseconds (most of it choosing the best
    mask), and a page's address never changes its code: keep the newest ones.
    """
    return segno.make(url, error="m").svg_inline(
        scale=3,
        border=2,
        dark="#072646",
        svgclass="share-card__qr",
        lineclass="share-card__qr-line",
    )


@register.inclusion_tag("includes/share_card.html", takes_context=True)
def share_card(context, title, summary=""):
    """A card with the page's address as a QR code drawn on the server, for sharing by phone."""
    request = context["request"]
    url = request.build_absolute_uri(request.path)
    label = _("QR code of this page's address")
    svg = qr_svg(url).replace(
        "<svg ", format_html('<svg role="img" aria-label="{}" ', label), 1
    )
    return {"url": url, "title": title, "summary": summary, "qr_svg": mark_safe(svg)}


@register.inclusion_tag("includes/language_notice.html", takes_context=True)
def language_notice(context):
    """The note that this page exists in the reader's browser language (see
    alliance/kernel/language_notice.py); nothing for everyone else."""
    request = context.get("request")
    language = getattr(request, "suggested_language", None)
    if not language:
        return {"language": None}
    here = request.get_full_path()
    return {
        "language": language,
        "current": get_language() or settings.LANGUAGE_CODE,
        "choose_url": reverse("choose-language"),
        "switch_url": reverse("choose-language")
        + "?"
        + urlencode({"language": language, "next": language_paths(here)[language]}),
        "here": here,
        "cookie_name": settings.LANGUAGE_COOKIE_NAME,
    }
