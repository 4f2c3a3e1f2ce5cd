"""A caching proxy in front of the site (Varnish with xkey), purged on every public change.

With `PROXY_PURGE_URLS` set, the anonymous pages and API answers that the
response cache may keep (the same requests, the same responses: see
`response_cache`, which sets Cache-Control) go out marked for shared caches:

    Cache-Control: public, s-maxage=<PROXY_CACHE_SECONDS, or less>,
                   stale-while-revalidate=30, stale-if-error=86400
    xkey: all lang-en section-news news.article-42 news.tag-3 members.member-list ...

`xkey` names what the answer shows (surrogate keys, `record_keys`): each
record it shows (`news.article-42`, and the tags and members an article's
page shows in passing), the lists it shows (`news.article-list`: a list
page, a count), a model whose records are too many to name one by one
(`news.article`), its section (the URL namespace) and its language. The
response cache keeps the header with the answer, and parts kept in the
cache keep what they showed.

When public content changes, the site purges, after the commit, the keys of
the records written, the list keys of their models and of the models whose
lists show them, and the records that show them in passing
(`changes.content_changed`), and the records next to one that came, left
or moved in its model's neighbour order (`neighbours`): editing one article
drops its page, its API item, the lists and the pages of its tags and
members, and publishing one the pages of the articles beside it, not every
page that read an article. The purge is a background task (`purge_keys`):
it asks each proxy in `PROXY_PURGE_URLS` (`PURGE /` with an `xkey` header, as
deploy/varnish/site.vcl accepts from the site only), and a proxy that does
not answer is asked again later, with a growing wait, a few times; after
the last, the task is left failed (the admin can run it again). Purging
twice does no harm. `s-maxage` bounds how long a proxy could serve an
answer whose purge never reached it.

A change the clock makes (a scheduled article going live, an event becoming
past) is not a write: a purge task is scheduled for that moment
(`purge_when_due`: the article's answers, the lists, and the records next
to it then, which its save purged already, so that they too are kept no
longer than that moment), and an answer's `s-maxage` never reaches past the
next such moment either (so a late worker, or a task backend that cannot
wait, changes nothing), and such an answer carries no
`stale-while-revalidate`.
"""

import datetime
import logging
import urllib.error
import urllib.parse
import urllib.request

from django.apps import apps
from django.conf import settings
from django.db.models.signals import post_save
from django.utils import timezone, translation

from alliance.kernel import neighbours, record_keys
from alliance.kernel.changes import (
    changed_keys,
    public_content_changed,
    records_shown_with,
)
from alliance.kernel.publishing import Status
from alliance.kernel.response_cache import SURROGATE_KEY_HEADER
from alliance.kernel.tasks import enqueue_later, task

logger = logging.getLogger(__name__)

HEADER = SURROGATE_KEY_HEADER
# Every shared answer carries it: purging it empties the proxy.
EVERYTHING = "all"
PURGE_TIMEOUT = 2
# A proxy that does not answer is asked again after these waits (seconds),
# then the purge task is left failed.
RETRY_AFTER = (5, 30, 120, 600)


def enabled():
    return bool(settings.PROXY_PURGE_URLS)


# --- What an answer shows ---------------------------------------------------


def surrogate_keys(request, shown):
    """The keys of an answer: everything, its language and section, what it shows."""
    match = getattr(request, "resolver_match", None)
    section = (match.namespace or match.url_name) if match else None
    keys = [
        EVERYTHING,
        f"lang-{translation.get_language()}",
        *([f"section-{section}"] if section else []),
        *shown.keys(),
    ]
    return " ".join(keys)


class SurrogateKeysMiddleware:
    """Name, in `xkey`, what an answer shows. Below the response cache, which keeps the header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not enabled() or request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        with record_keys.collecting() as shown:
            response = self.get_response(request)
        if response.status_code == 200:
            response[HEADER] = surrogate_keys(request, shown)
        return response


# --- Purges -----------------------------------------------------------------


def purge_one(url, keys):
    """Ask the proxy at `url` to drop the answers carrying any of `keys`; whether it did."""
    parts = urllib.parse.urlsplit(url)
    request = urllib.request.Request(
        urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/", "", "")),
        method="PURGE",
        headers={HEADER: " ".join(keys)},
    )
    try:
        with urllib.request.urlopen(request, timeout=PURGE_TIMEOUT) as answer:
            answer.read()
    except (OSError, urllib.error.URLError) as error:
        logger.warning(
            "Proxy %s not purged of %s: %s", parts.netloc, " ".join(keys), error
        )
        return False
    return True


def purge(keys, urls=None):
    """Ask every proxy (or those of `urls`) to drop the answers carrying any of
    `keys`; return how many did. Never raises."""
    urls = settings.PROXY_PURGE_URLS if urls is None else urls
    return sum(purge_one(url, keys) for url in urls)


class ProxyNotPurged(Exception):
    pass


# Purging again costs the proxy a few misses, nothing more: a run lost with
# its worker is run again, as often as a proxy that does not answer is.
@task(retry_lost=len(RETRY_AFTER))
def purge_keys(keys, urls=None, attempt=1):
    """Purge `keys` from every proxy (or those of `urls`); ask again later those that failed.

    After `RETRY_AFTER` runs out, or with a task backend that cannot wait,
    the task fails, naming the proxies not purged.
    """
    urls = list(settings.PROXY_PURGE_URLS if urls is None else urls)
    failed = [url for url in urls if not purge_one(url, keys)]
    if not failed:
        return len(urls)
    if attempt <= len(RETRY_AFTER) and enqueue_later(
        purge_keys,
        timezone.now() + datetime.timedelta(seconds=RETRY_AFTER[attempt - 1]),
        keys=keys,
        urls=failed,
        attempt=attempt + 1,
    ):
        return len(urls) - len(failed)
    raise ProxyNotPurged(
        f"{', '.join(failed)} not purged of {' '.join(keys)} after {attempt} attempts"
    )


def purge_changed(sender, tables, keys=(), **kwargs):
    """Purge the keys a committed change named, or everything (no tables: anything
    may have changed), in a background task."""
    if tables and not keys:
        return  # tables no public answer shows
    if enabled():
        # The proxies as the site knows them, whatever the worker's settings.
        purge_keys.enqueue(
            keys=list(keys) or [EVERYTHING], urls=list(settings.PROXY_PURGE_URLS)
        )


# --- Changes the clock makes -------------------------------------------------


def clock_changes(obj, now=None):
    """The moments after `now` when the clock alone changes what the public sees of `obj`.

    A scheduled row's publish time (a published row's time still to come),
    and what its model adds (`clock_changes()`: an event becomes past after
    its last day).
    """
    now = now or timezone.now()
    moments = []
    field = getattr(obj, "publish_time_field", None)
    if field and obj.status == Status.PUBLISHED:
        moments.append(getattr(obj, field))
    moments.extend(getattr(obj, "clock_changes", list)())
    return sorted({moment for moment in moments if moment and moment > now})


def schedule_purges(sender, instance, raw=False, **kwargs):
    """When a public row will change by the clock, purge its answers at that moment."""
    if raw or not enabled():
        return
    for moment in clock_changes(instance):
        enqueue_later(
            purge_when_due,
            moment,
            label=instance._meta.label_lower,
            pk=instance.pk,
            at=moment.isoformat(),
        )


# Works out its keys afresh and purges (see purge_keys): safe to run again.
@task(retry_lost=len(RETRY_AFTER))
def purge_when_due(*, label, pk, at):
    """Purge, at `at`, the answers of a row the clock changes then (`schedule_purges`).

    The keys are worked out now, as an edit's would be. Nothing is purged
    if the row is gone or no longer changes at `at` (an edit scheduled its
    own task, and purged the answers already).
    """
    model = apps.get_model(label)
    obj = model._base_manager.filter(pk=pk).first()
    due = datetime.datetime.fromisoformat(at)
    # Still due then: the row changes by the clock at `at`, as seen just before.
    before = due - datetime.timedelta(microseconds=1)
    if obj is None or due not in clock_changes(obj, now=before):
        return 0
    # As if it were published (or its dates edited) now: its answers, its
    # model's lists and columns, and the records next to it in its neighbour
    # order as public at `at` (their previous and next links), not every
    # page that links along the order.
    keys = changed_keys(records=[(model, pk), *records_shown_with(obj)])
    keys |= record_keys.record_keys(
        model, pk, listed=True, columns=record_keys.columns_of(model)
    )
    keys |= neighbours.keys_beside(model, pk, now=due)
    return purge_keys.call(keys=sorted(keys))


def connect():
    record_keys.install()
    public_content_changed.connect(purge_changed, dispatch_uid="proxy-cache-purge")
    for model in apps.get_models():
        if record_keys.is_public(model):
            post_save.connect(
                schedule_purges,
                sender=model,
                dispatch_uid=f"proxy-cache-clock-{model._meta.label_lower}",
            )
