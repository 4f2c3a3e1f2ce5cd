"""Whole-response caching of anonymous pages and API answers.

A page an anonymous visitor gets is the same for every anonymous visitor, so
it is rendered once and then served from the configured cache (Redis in
production, shared by every worker) until the content changes.

Invalidation is by generation, not by guessing which pages an edit touches:
the time public content last changed, kept in the database (one row of
`ContentChange`), stands for "the public content as it is now". Any change
to public content (a save, a deletion, a relation change, a bulk publish)
moves it on, in the same transaction as the change. Every stored response
carries the generation it was rendered under and is served only while that
is still the one in the database: each hit costs one read of that row,
and in return a withdrawal is final the moment its save returns, whatever
Redis did meanwhile (it may have been unreachable, paused, or restored from
an old snapshot; nothing has to reach it for an answer to go stale).

Some content changes by the clock alone: a scheduled article appears when
its time comes, and an event moves from "upcoming" to "past" at midnight.
A stored response therefore never outlives the next such moment.

What is never cached: anything but GET and HEAD; requests from signed-in
users (they carry a session cookie) or from partners (an API key), or
from readers shown a note about their browser's language (see
`language_notice`);
responses that set a cookie, vary on cookies (forms with a CSRF token),
say `private` or `no-store` (previews, health checks), carry a CSP nonce,
or are not 200; pages asked for with a query parameter that no page reads
(they are served, but not stored: a stream of made-up addresses cannot
fill the cache). Tracking parameters (`utm_*`, `fbclid`, WeChat's `from`...)
are left out of the key, so a shared link is served from the cache.
API answers are stored only when the API accepted every parameter.
`RESPONSE_CACHE_SECONDS = 0` turns the cache off.

The most asked-for answers are also kept in each worker's memory
(`RESPONSE_CACHE_MEMORY_ENTRIES` of them, each of at most
`MEMORY_MAX_BYTES`, the least recently served dropped first), under the
same generation and for no longer than their time in the shared cache
would be: a hit there costs the read of the generation alone, no round
trip to Redis, and goes on while Redis is away.
"""

import datetime
import functools
import hashlib
import logging
from urllib.parse import urlencode

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.core.exceptions import DisallowedHost
from django.db import DatabaseError
from django.db.models import Subquery
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re, patch_cache_control, set_response_etag

from alliance.kernel.changes import current_generation, request_generation
from alliance.kernel.language_notice import suggested_language
from alliance.kernel.models import ContentChange
from alliance.kernel.publishing import Publishable
from alliance.kernel.record_keys import collected, not_shown, shown_again

logger = logging.getLogger(__name__)

UNCACHEABLE_DIRECTIVES = {"private", "no-store", "no-cache"}
# Parameters that links shared elsewhere carry and no page reads.
TRACKING_PARAMETERS = frozenset(
    {"fbclid", "gclid", "dclid", "msclkid", "yclid", "mc_cid", "mc_eid", "_hsenc",
     "_hsmi", "from", "isappinstalled", "spm", "scene", "clicktime", "ref"}
)  # fmt: skip
TRACKING_PREFIXES = ("utm_",)
# Enough to put the time-driven changes on the page: see `seconds_to_live`.
MIN_LIFETIME = 1
# The surrogate keys of an answer, for a caching proxy (`proxy_cache`).
SURROGATE_KEY_HEADER = "xkey"
# How long a caching proxy may serve an answer stale: while it fetches a
# fresh one, and while the site is down.
STALE_WHILE_REVALIDATE = 30
STALE_IF_ERROR = 24 * 60 * 60
# Larger answers (a long sitemap page) are kept in the shared cache only.
MEMORY_MAX_BYTES = 256 * 1024


def last_modified(now=None):
    """When what the public sees last changed: the last recorded change, or a scheduled
    article going live, or midnight (events become past), whichever came last.

    Remembered until the next change (the clock's included: see
    `seconds_to_live`), since every API answer states it.
    """
    if now is not None:
        return _last_modified(now)
    # A figure every API answer states, not content they show.
    with not_shown():
        return remember("last-modified", _last_modified)


def _last_modified(now=None):
    now = now or timezone.now()
    # When each model's last self-publishing row went live, in the same query.
    went_live = {
        f"went_live_{number}": Subquery(
            model.objects.published(now=now)
            .order_by(f"-{model.publish_time_field}")
            .values(model.publish_time_field)[:1]
        )
        for number, model in enumerate(scheduled_models())
    }
    row = (
        ContentChange.objects.filter(pk=1)
        .annotate(**went_live)
        .values_list("changed_at", *went_live)
        .first()
    )
    midnight = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return max(moment for moment in (*(row or ()), midnight) if moment is not None)


def scheduled_models():
    """The publishable models whose rows publish themselves at a time (`publish_time_field`)."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, Publishable) and model.publish_time_field
    ]


# --- Lifetimes --------------------------------------------------------------

# The next moment the clock alone changes what the public sees, as worked out
# under one generation: (generation, moment). Any write moves the generation
# on, so the moment is worked out again after an edit; and again once it
# has passed.
_next_change = (None, None)


def next_clock_change(generation, now=None):
    """When, with no write at all, the public content next changes.

    Events move from upcoming to past at midnight in the site's time zone,
    and a scheduled row (an article with a future publish time) appears at
    its publish time.
    """
    global _next_change
    now = now or timezone.now()
    known_generation, moment = _next_change
    if known_generation == generation and moment is not None and moment > now:
        return moment
    local = timezone.localtime(now)
    moment = datetime.datetime.combine(
        local.date() + datetime.timedelta(days=1), datetime.time.min, local.tzinfo
    )
    # When the answer expires, not what it shows (`record_keys`).
    with not_shown():
        for model in scheduled_models():
            due = model.objects.next_publish_time(now)
            if due is not None:
                moment = min(moment, due)
    _next_change = (generation, moment)
    return moment


def seconds_to_live(limit=None, generation=None, now=None):
    """How long something rendered now may be kept: at most `limit` seconds, and
    never past the next change the clock makes."""
    now = now or timezone.now()
    if limit is None:
        limit = settings.RESPONSE_CACHE_SECONDS
    until = (next_clock_change(generation, now) - now).total_seconds()
    return max(MIN_LIFETIME, int(min(limit, until)))


def remember(key, compute):
    """Return `compute()`, kept in the cache until the public content changes.

    For figures and fragments that many pages share and that cost more to
    work out than to fetch (counts over whole tables, the footer's pages).
    `FRAGMENT_CACHE_SECONDS = 0` computes every time.
    """
    return remember_each([key], str, lambda _keys: [compute()])[0]


def remember_each(objects, key, compute):
    """Return `compute(objects)`, a list with one value per object, each kept in the
    cache until the public content changes.

    For lists whose items cost more to render than to fetch (an API item with
    its nested summaries): `key(obj)` names an object's value; on a later
    request only the objects whose values are missing are passed to
    `compute`, in order, and it returns their values in the same order.

    What the values show (`record_keys`) is kept with them, and named again
    on every answer they go into: served from the cache, they run no query.
    """
    limit = settings.FRAGMENT_CACHE_SECONDS
    if limit <= 0 or not objects:
        return list(compute(objects))
    keys = [key(obj) for obj in objects]
    generation = current_generation()
    values = cache.get_many(keys)
    found = {}
    for name, stored in values.items():
        if len(stored) == 3 and stored[0] == generation:
            found[name] = stored[1]
            shown_again(stored[2])
    missing = [
        (obj, name)
        for obj, name in zip(objects, keys, strict=True)
        if name not in found
    ]
    if missing:
        objects, names = zip(*missing, strict=True)
        with collected() as shown:
            fresh = dict(zip(names, compute(list(objects)), strict=True))
        # Worked out together: each keeps what any of them showed.
        state = shown[0] if shown else None
        cache.set_many(
            {name: (generation, value, state) for name, value in fresh.items()},
            seconds_to_live(limit, generation),
        )
        found.update(fresh)
    return [found[name] for name in keys]


# --- Answers kept in this worker's memory too ---------------------------------


@functools.cache
def _memory(entries):
    # A quarter of the entries go when it is full: the least recently served.
    options = {"MAX_ENTRIES": entries, "CULL_FREQUENCY": 4}
    memory = LocMemCache(f"alliance-answers-{entries}", {"OPTIONS": options})
    _memories.append(memory)
    return memory


_memories = []


def answers_in_memory():
    """This worker's copy of the most asked-for answers, or None when it is off."""
    entries = settings.RESPONSE_CACHE_MEMORY_ENTRIES
    return _memory(entries) if entries > 0 else None


def forget_answers_in_memory():
    """Empty this worker's copy (the shared cache keeps its own), of every size made."""
    for memory in _memories:
        memory.clear()


def keep_in_memory(key, stored, generation):
    memory = answers_in_memory()
    if memory is not None and len(stored[1]) <= MEMORY_MAX_BYTES:
        lifetime = seconds_to_live(settings.RESPONSE_CACHE_SECONDS, generation)
        memory.set(key, stored, timeout=lifetime)


def stored_answer(key, generation):
    """The answer stored under `key` for `generation`: from this worker's memory,
    else from the shared cache (and then kept in memory too); None when neither has it."""
    memory = answers_in_memory()
    if memory is not None:
        stored = memory.get(key)
        if stored is not None and stored[0] == generation:
            return stored
    stored = cache.get(key)
    if stored is None or stored[0] != generation:
        return None
    keep_in_memory(key, stored, generation)
    return stored


# --- The middleware ---------------------------------------------------------


class ResponseCacheMiddleware:
    """Serve anonymous GET requests from the cache; store what they get.

    It sits above the session, locale, CSRF and authentication middleware, so
    a hit skips them all. Middleware above it (security headers, CORS,
    conditional GET, the anonymous API allowance) still runs on every answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = request_generation.set([None])
        try:
            response = self.respond(request)
            if settings.PROXY_PURGE_URLS:
                self.mark_for_proxy(request, response)
            return response
        finally:
            request_generation.reset(token)

    def mark_for_proxy(self, request, response):
        """Let the caching proxy in front keep what this cache may keep, until purged.

        Worked out as the answer leaves, cached or not: never past the next
        change the clock makes, and then not served stale either. Other
        answers lose their surrogate keys.
        """
        if not (
            SURROGATE_KEY_HEADER in response
            and self.shareable(request)
            and self.storable(response)
        ):
            if SURROGATE_KEY_HEADER in response:
                del response[SURROGATE_KEY_HEADER]
            return
        try:
            generation = current_generation()
        except DatabaseError:
            del response[SURROGATE_KEY_HEADER]
            return
        limit = settings.PROXY_CACHE_SECONDS
        lifetime = seconds_to_live(limit, generation)
        directives = {"public": True, "s_maxage": lifetime}
        if lifetime >= limit:
            directives["stale_while_revalidate"] = STALE_WHILE_REVALIDATE
        patch_cache_control(response, **directives, stale_if_error=STALE_IF_ERROR)

    def respond(self, request):
        key = self.key_for(request)
        if key is None:
            return self.get_response(request)
        try:
            generation = current_generation()
        except DatabaseError:
            # The database is away: the view answers (with a clean 503).
            return self.get_response(request)
        stored = stored_answer(key, generation)
        if stored is not None:
            return self.rebuild(stored)
        response = self.get_response(request)
        if self.storable(response):
            self.store(key, generation, response)
        return response

    # Which requests

    @classmethod
    def shareable(cls, request):
        """Whether this request's answer is the same for every anonymous visitor.

        The caching proxy in front (`proxy_cache`) keeps the same answers.
        """
        if request.method not in ("GET", "HEAD"):
            return False
        path = request.path
        if path.startswith((settings.STATIC_URL, settings.MEDIA_URL, "/admin/")):
            return False
        if (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            or "HTTP_X_API_KEY" in request.META
            or "HTTP_AUTHORIZATION" in request.META
        ):
            return False
        if suggested_language(request):
            # The page will carry a note for this reader alone.
            return False
        return cls.variant(request) is not None

    def key_for(self, request):
        """The cache key of this request, or None when it must not be cached."""
        if settings.RESPONSE_CACHE_SECONDS <= 0 or not self.shareable(request):
            return None
        path = request.path
        variant = self.variant(request)
        try:
            url = request.build_absolute_uri(path)
        except DisallowedHost:
            return None  # the middleware below answers 400
        language = ""
        if path.startswith("/api/") and "lang" not in request.GET:
            # The API picks its language from Accept-Language; pages from the address.
            language = translation.get_language_from_request(request)
        digest = hashlib.md5(
            f"{language}|{url}?{variant}".encode(), usedforsecurity=False
        )
        return f"response:{digest.hexdigest()}"

    @staticmethod
    def variant(request):
        """The query string that makes a stored variant, or None: do not store.

        In a fixed order, so that `?a=1&b=2` and `?b=2&a=1` share one.
        The API refuses a parameter it does not know (400, never stored),
        so all of its parameters count. Pages ignore what they do not read:
        tracking parameters are left out, and any other unknown one means
        the page is rendered but not stored.
        """
        api = request.path.startswith("/api/")
        pairs = []
        for name, values in request.GET.lists():
            if not api:
                if name in TRACKING_PARAMETERS or name.startswith(TRACKING_PREFIXES):
                    continue
                if name not in settings.RESPONSE_CACHE_PAGE_PARAMETERS:
                    return None
            pairs.extend((name, value) for value in values)
        return urlencode(sorted(pairs))

    # Which responses

    @staticmethod
    def storable(response):
        if response.status_code != 200 or response.streaming or response.cookies:
            return False
        directives = {
            part.split("=")[0].strip().lower()
            for part in cc_delim_re.split(response.get("Cache-Control", ""))
        }
        if directives & UNCACHEABLE_DIRECTIVES:
            return False
        vary = {
            part.strip().lower() for part in cc_delim_re.split(response.get("Vary", ""))
        }
        if "cookie" in vary or "*" in vary:
            return False
        csp = response.get("Content-Security-Policy", "")
        return "'nonce-" not in csp

    @staticmethod
    def store(key, generation, response):
        lifetime = seconds_to_live(settings.RESPONSE_CACHE_SECONDS, generation)
        if not response.has_header("ETag"):
            set_response_etag(response)
        stored = (generation, response.content, tuple(response.headers.items()))
        cache.set(key, stored, timeout=lifetime)
        keep_in_memory(key, stored, generation)

    @staticmethod
    def rebuild(stored):
        _generation, content, headers = stored
        response = HttpResponse(content)
        for name, value in headers:
            response.headers[name] = value
        return response
