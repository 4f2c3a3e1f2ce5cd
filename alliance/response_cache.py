"""Whole-response caching of anonymous pages and API answers.

A page an anonymous visitor gets is the same for every anonymous visitor, so
it is rendered once and then served from the configured cache (Redis in
production, shared by every worker) until the content changes.

Invalidation is by generation, not by guessing which pages an edit touches:
one counter in the cache stands for "the public content as it is now".
Every stored response carries the generation it was rendered under and is
served only while that is still the current one. Any change to public
content (a save, a deletion, a relation change, a bulk publish) moves the
counter on, so a publish shows up at once on every page that lists it.

Some content changes by the clock alone: a scheduled article appears when
its time comes, and an event moves from "upcoming" to "past" at midnight.
A stored response therefore never outlives the next such moment.

What is never cached: anything but GET and HEAD; requests from signed-in
users (they carry a session cookie) or from partners (an API key), or
from readers shown a note about their browser's language (see
`language_notice`);
responses that set a cookie, vary on cookies (forms with a CSRF token),
say `private` or `no-store` (previews, health checks), carry a CSP nonce,
or are not 200. `RESPONSE_CACHE_SECONDS = 0` turns the cache off.
"""

import datetime
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import connection, transaction
from django.db.models import Subquery
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.cache import cc_delim_re, set_response_etag

from .language_notice import suggested_language

logger = logging.getLogger(__name__)

GENERATION_KEY = "content-generation"
# Apps whose models are public content; a change in any of them moves the
# generation on. Applications to join are private and never shown.
CONTENT_APPS = {"alliance", "members", "news"}
PRIVATE_MODELS = {
    "members.membershipapplication",
    "alliance.partnerkey",
    "alliance.contentchange",
}
UNCACHEABLE_DIRECTIVES = {"private", "no-store", "no-cache"}
# Enough to put the time-driven changes on the page: see `seconds_to_live`.
MIN_LIFETIME = 1


# --- The generation ---------------------------------------------------------


def current_generation():
    """The generation of the public content, starting one if the cache has none.

    A new counter starts at the current time in microseconds, so it can never
    meet a generation that responses still in the cache were stored under.
    """
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, time.time_ns() // 1000, timeout=None)
        generation = cache.get(GENERATION_KEY)
    return generation


def content_changed():
    """Record that public content changed: every cached response becomes stale.

    The time goes into the database with the change itself; the generation
    moves on at once and again when the surrounding transaction commits, so
    that a request that read the old rows in between cannot keep a stale copy
    alive.
    """
    from .models import ContentChange

    now = timezone.now()
    if not ContentChange.objects.filter(pk=1).update(changed_at=now):
        ContentChange.objects.create(pk=1, changed_at=now)
    _bump()
    if connection.in_atomic_block:
        transaction.on_commit(_bump)


def last_modified(now=None):
    """When what the public sees last changed: the last recorded change, or a scheduled
    article going live, or midnight (events become past), whichever came last.

    Remembered until the next change (the clock's included: see
    `seconds_to_live`), since every API answer states it.
    """
    if now is not None:
        return _last_modified(now)
    return remember("last-modified", _last_modified)


def _last_modified(now=None):
    from news.models import Article

    from .models import ContentChange

    now = now or timezone.now()
    row = (
        ContentChange.objects.filter(pk=1)
        .annotate(
            went_live=Subquery(
                Article.objects.published(now=now)
                .order_by("-published_at")
                .values("published_at")[:1]
            )
        )
        .values_list("changed_at", "went_live")
        .first()
    )
    midnight = timezone.localtime(now).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return max(moment for moment in (*(row or ()), midnight) if moment is not None)


def _bump():
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:
        current_generation()


def _on_model_change(sender, **kwargs):
    if kwargs.get("raw"):  # loading fixtures
        return
    if kwargs.get("action", "post_").startswith("pre_"):  # m2m: counted once, after
        return
    label = sender._meta.label_lower
    if label not in PRIVATE_MODELS:
        content_changed()


def connect():
    """Move the generation on whenever a content model is written."""
    from django.apps import apps

    for app_label in CONTENT_APPS:
        for model in apps.get_app_config(app_label).get_models():
            uid = f"response-cache-{model._meta.label_lower}"
            post_save.connect(_on_model_change, sender=model, dispatch_uid=uid)
            post_delete.connect(_on_model_change, sender=model, dispatch_uid=uid)
            for field in model._meta.local_many_to_many:
                m2m_changed.connect(
                    _on_model_change,
                    sender=field.remote_field.through,
                    dispatch_uid=f"{uid}-{field.name}",
                )


# --- Lifetimes --------------------------------------------------------------

# The next moment the clock alone changes what the public sees, as worked out
# under one generation: (generation, moment). Any write moves the generation
# on, so the moment is worked out again after an edit; and again once it
# has passed.
_next_change = (None, None)


def next_clock_change(generation, now=None):
    """When, with no write at all, the public content next changes.

    Events move from upcoming to past at midnight in the site's time zone,
    and a scheduled article appears at its publish time.
    """
    from news.models import Article

    global _next_change
    now = now or timezone.now()
    known_generation, moment = _next_change
    if known_generation == generation and moment is not None and moment > now:
        return moment
    local = timezone.localtime(now)
    moment = datetime.datetime.combine(
        local.date() + datetime.timedelta(days=1), datetime.time.min, local.tzinfo
    )
    due = (
        Article.objects.scheduled(now=now)
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
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


def generation_in(values):
    """The generation read with a batch of keys (`values` holds or lacks
    GENERATION_KEY, which is taken out); a new one when the cache had none."""
    return values.pop(GENERATION_KEY, None) or current_generation()


def fetch_and_count(keys, counter, lifetime):
    """Read `keys` and add one to `counter` in one round trip, when the cache is Redis.

    Return (values found, the counter's new value), or None when the cache
    is another kind or Redis fails (the caller then goes the plain way).
    The counter is one that `cache.incr` also reads: django-redis keeps
    integers unpickled.
    """
    client = getattr(cache, "client", None)
    if not hasattr(client, "get_client"):
        return None
    try:
        import redis

        connection = client.get_client(write=True)
        counter_key = client.make_key(counter)
        pipeline = connection.pipeline(transaction=False)
        pipeline.mget([client.make_key(name) for name in keys])
        pipeline.incr(counter_key)
        pipeline.expire(counter_key, lifetime)
        raw, count, _expiry = pipeline.execute()
    except (redis.RedisError, OSError):
        return None
    values = {
        name: client.decode(value)
        for name, value in zip(keys, raw, strict=True)
        if value is not None
    }
    return values, count


def remember_each(objects, key, compute):
    """Return `compute(objects)`, a list with one value per object, each kept in the
    cache until the public content changes.

    For lists whose items cost more to render than to fetch (an API item with
    its nested summaries): `key(obj)` names an object's value; on a later
    request only the objects whose values are missing are passed to
    `compute`, in order, and it returns their values in the same order.
    """
    limit = settings.FRAGMENT_CACHE_SECONDS
    if limit <= 0 or not objects:
        return list(compute(objects))
    keys = [key(obj) for obj in objects]
    values = cache.get_many([GENERATION_KEY, *keys])
    generation = generation_in(values)
    found = {
        name: stored[1] for name, stored in values.items() if stored[0] == generation
    }
    missing = [
        (obj, name)
        for obj, name in zip(objects, keys, strict=True)
        if name not in found
    ]
    if missing:
        objects, names = zip(*missing, strict=True)
        fresh = dict(zip(names, compute(list(objects)), strict=True))
        if generation is not None:
            cache.set_many(
                {name: (generation, value) for name, value in fresh.items()},
                seconds_to_live(limit, generation),
            )
        found.update(fresh)
    return [found[name] for name in keys]


# --- The middleware ---------------------------------------------------------


class ResponseCacheMiddleware:
    """Serve anonymous GET requests from the cache; store what they get.

    It sits above the session, locale, CSRF and authentication middleware, so
    a hit skips them all. Middleware above it (security headers, CORS,
    conditional GET) still runs on every answer.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        key = self.key_for(request)
        if key is None:
            return self.get_response(request)
        generation, stored = self.lookup(key, request)
        if stored is not None and stored[0] == generation:
            if not self.allowed_by_throttle(request):
                # Let the view answer, with the API's own 429.
                return self.get_response(request)
            return self.rebuild(stored)
        response = self.get_response(request)
        if self.storable(response):
            self.store(key, generation, response)
        return response

    # Which requests

    def key_for(self, request):
        """The cache key of this request, or None when it must not be cached."""
        if settings.RESPONSE_CACHE_SECONDS <= 0 or request.method not in (
            "GET",
            "HEAD",
        ):
            return None
        path = request.path
        if path.startswith((settings.STATIC_URL, settings.MEDIA_URL, "/admin/")):
            return None
        if (
            settings.SESSION_COOKIE_NAME in request.COOKIES
            or "HTTP_X_API_KEY" in request.META
            or "HTTP_AUTHORIZATION" in request.META
        ):
            return None
        if suggested_language(request):
            # The page will carry a note for this reader alone.
            return None
        try:
            url = request.build_absolute_uri()
        except DisallowedHost:
            return None  # the middleware below answers 400
        language = ""
        if path.startswith("/api/") and "lang" not in request.GET:
            # The API picks its language from Accept-Language; pages from the address.
            language = translation.get_language_from_request(request)
        digest = hashlib.md5(f"{language}|{url}".encode(), usedforsecurity=False)
        return f"response:{digest.hexdigest()}"

    @staticmethod
    def lookup(key, request):
        """(generation, stored answer) of a request; an API request is counted too.

        A cached API answer still counts against the client's allowance. With
        Redis the count goes in the same round trip as the lookup, and the
        API's throttle then reads it rather than counting again.
        """
        keys = [GENERATION_KEY, key]
        values = None
        if request.path.startswith("/api/"):
            from .api_backends import AnonymousThrottle

            throttle = AnonymousThrottle()
            counter = throttle.window(request)
            if counter is not None:
                fetched = fetch_and_count(keys, counter, throttle.duration + 1)
                if fetched is not None:
                    values, count = fetched
                    request.window_counts = {counter: count}
        if values is None:
            values = cache.get_many(keys)
        return generation_in(values), values.get(key)

    @staticmethod
    def allowed_by_throttle(request):
        """Count a cached API answer against the client's allowance, as the API would."""
        if not request.path.startswith("/api/"):
            return True
        from .api_backends import AnonymousThrottle

        return AnonymousThrottle().allow_request(request, view=None)

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
        if generation is None:  # the cache is unreachable
            return
        lifetime = seconds_to_live(settings.RESPONSE_CACHE_SECONDS, generation)
        if not response.has_header("ETag"):
            set_response_etag(response)
        headers = tuple(response.headers.items())
        cache.set(key, (generation, response.content, headers), timeout=lifetime)

    @staticmethod
    def rebuild(stored):
        _generation, content, headers = stored
        response = HttpResponse(content)
        for name, value in headers:
            response.headers[name] = value
        return response
