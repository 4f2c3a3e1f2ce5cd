"""A caching proxy in front of the site (Varnish with xkey), purged on every public change.

With `PROXY_PURGE_URLS` set, the anonymous pages and API answers that the
response cache may keep (the same requests, the same responses: see
`response_cache`, which sets Cache-Control) go out marked for shared caches:

    Cache-Control: public, s-maxage=<PROXY_CACHE_SECONDS, or less>,
                   stale-while-revalidate=30, stale-if-error=86400
    xkey: all lang-en section-news news_article news_tag ...

`xkey` names what the answer shows (surrogate keys): every database table
it read (the records, their lists and what they nest), its section (the
URL namespace) and its language. When public content changes, the site
tells each proxy in `PROXY_PURGE_URLS`, after the commit, to drop the
answers that read the tables written (`PURGE /` with an `xkey` header, as
deploy/varnish/site.vcl accepts from the site only). A proxy that does not
answer is tried once more, then logged, never raised: the change is saved
whatever the proxy does, and `s-maxage` bounds how long it could serve an
answer it missed the purge of.

A change the clock makes (a scheduled article going live, an event becoming
past) is not a write: an answer's `s-maxage` never reaches past the next
such moment, and such an answer carries no `stale-while-revalidate`.
"""

import contextlib
import functools
import logging
import re
import urllib.error
import urllib.parse
import urllib.request

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.utils import translation

from alliance.kernel.changes import public_content_changed
from alliance.kernel.response_cache import SURROGATE_KEY_HEADER

logger = logging.getLogger(__name__)

HEADER = SURROGATE_KEY_HEADER
# Every shared answer carries it: purging it empties the proxy.
EVERYTHING = "all"
PURGE_TIMEOUT = 2
PURGE_ATTEMPTS = 2

# Table names as Django's SQL quotes them after FROM and JOIN.
TABLE_READ = re.compile(r'\b(?:FROM|JOIN)\s+"(\w+)"', re.IGNORECASE)
# Tables read for every request or never shown: not content.
NOT_CONTENT = ("django_", "auth_", "axes_", "otp_")


def enabled():
    return bool(settings.PROXY_PURGE_URLS)


@functools.cache
def private_tables():
    """The tables no public answer is about: the models of apps that are not
    public content, and the private models of those that are."""
    return {
        model._meta.db_table
        for app_config in apps.get_app_configs()
        for model in app_config.get_models()
        if not getattr(app_config, "public_content", False)
        or getattr(model, "private_content", False)
    }


# --- What an answer shows ---------------------------------------------------


@contextlib.contextmanager
def tables_read():
    """Collect the names of the tables that the queries of the block read, on every database."""
    tables = set()

    def record(execute, sql, params, many, context):
        tables.update(TABLE_READ.findall(sql))
        return execute(sql, params, many, context)

    with contextlib.ExitStack() as stack:
        for alias in connections:
            stack.enter_context(connections[alias].execute_wrapper(record))
        yield tables


def surrogate_keys(request, tables):
    """The keys of an answer: everything, its language and section, the tables it read."""
    hidden = private_tables()
    match = getattr(request, "resolver_match", None)
    section = (match.namespace or match.url_name) if match else None
    keys = [
        EVERYTHING,
        f"lang-{translation.get_language()}",
        *([f"section-{section}"] if section else []),
        *sorted(
            table
            for table in tables
            if table not in hidden and not table.startswith(NOT_CONTENT)
        ),
    ]
    return " ".join(keys)


class SurrogateKeysMiddleware:
    """Name, in `xkey`, what an answer shows. Below the response cache, which keeps the header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not enabled() or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with tables_read() as tables:
            response = self.get_response(request)
        if response.status_code == 200:
            response[HEADER] = surrogate_keys(request, tables)
        return response


# --- Purges -----------------------------------------------------------------


def purge(keys):
    """Ask every proxy to drop the answers carrying any of `keys` (strings); return how many did.

    A proxy that fails is tried again once, then logged. Never raises.
    """
    purged = 0
    for url in settings.PROXY_PURGE_URLS:
        parts = urllib.parse.urlsplit(url)
        request = urllib.request.Request(
            urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/", "", "")),
            method="PURGE",
            headers={HEADER: " ".join(keys)},
        )
        for attempt in range(1, PURGE_ATTEMPTS + 1):
            try:
                with urllib.request.urlopen(request, timeout=PURGE_TIMEOUT) as answer:
                    answer.read()
                purged += 1
                break
            except (OSError, urllib.error.URLError) as error:
                if attempt == PURGE_ATTEMPTS:
                    logger.warning(
                        "Proxy %s not purged of %s: %s",
                        parts.netloc,
                        " ".join(keys),
                        error,
                    )
    return purged


def purge_changed(sender, tables, **kwargs):
    """Purge the tables a committed change wrote, or everything."""
    if enabled():
        purge(tables or [EVERYTHING])


def connect():
    public_content_changed.connect(purge_changed, dispatch_uid="proxy-cache-purge")
