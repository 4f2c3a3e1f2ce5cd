"""A note to readers whose browser asks for another language than the page's.

English pages sit at unprefixed addresses and are never redirected: a reader
whose browser prefers Chinese, and who has not chosen a language on this
site, sees a small note on English pages that links to the same page in
Chinese. Choosing a language there, or dismissing the note, sets Django's
language cookie, and the note is not shown again.

The note depends on the request's Accept-Language header and cookies, so a
page that carries it is never kept in the shared response cache: the cache
skips such requests (`suggested_language()` is asked before the lookup), and
the page goes out marked `private` and varying on `Cookie`. Every other
reader gets the cached page, which never holds the note.
"""

from django.conf import settings
from django.http import HttpResponseBadRequest, HttpResponseRedirect
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import (
    get_language_from_path,
    get_supported_language_variant,
)
from django.utils.translation.trans_real import parse_accept_lang_header

from alliance.kernel.http import allow

# Addresses that are not pages with the site's layout.
NOT_PAGES = ("/api/", "/admin/", "/i18n/", "/embed/")


def suggested_language(request):
    """The language this reader's browser prefers over the page's, or None.

    Only on pages in the default language, and only when the reader has
    not chosen a language on this site (the language cookie is unset).
    """
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return None
    path = request.path_info
    if (
        path.startswith((*NOT_PAGES, settings.STATIC_URL, settings.MEDIA_URL))
        or "." in path.rsplit("/", 1)[-1]  # files: sitemap.xml, event.ics...
        or get_language_from_path(path)  # already a page in another language
    ):
        return None
    header = request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    if not header or len(header) > 255:
        return None
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            return None
        try:
            language = get_supported_language_variant(code)
        except LookupError:
            continue
        return None if language == settings.LANGUAGE_CODE else language
    return None


class LanguageNoticeMiddleware:
    """Work out the note once per request, and keep its pages out of shared caches."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.suggested_language = language = suggested_language(request)
        response = self.get_response(request)
        if language and response.get("Content-Type", "").startswith("text/html"):
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
            patch_cache_control(response, private=True)
        return response


@allow("GET")
def choose_language(request):
    """Remember the reader's language and go back to the page (the note's link and button).

    `?language=<code>&next=<path on this site>`. A plain GET so that it
    works from a link and a form without JavaScript; it changes nothing but
    the reader's own cookie.
    """
    language = request.GET.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(
            "Unknown language: use one of "
            + ", ".join(code for code, _name in settings.LANGUAGES)
            + ".",
            content_type="text/plain; charset=utf-8",
        )
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith("/"):
        target = "/"
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    patch_cache_control(response, no_store=True)
    return response
