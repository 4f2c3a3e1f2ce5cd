"""Read replicas: anonymous public reads go to them, everything else to the primary.

`DATABASE_REPLICA_URLS` adds replicas (database aliases `replica1`,
`replica2`...). A request may read from one only when it is an anonymous
visitor's GET or HEAD of a public page or API answer: no session (signed-in
staff), no API key, not the admin, and no pinning cookie. Everything else
reads and writes on the primary: the admin, form posts, writes, and any
query inside a transaction.

A visitor who has just written (any request but GET, HEAD and OPTIONS) gets
a cookie for `DATABASE_PIN_SECONDS` seconds, and their reads stay on the
primary meanwhile, so they see their own write whatever the replicas' lag:
django-multidb-router's pinning, done here because that library sends every
read to a replica by default (the reverse of the rule above) and does not
skip a replica that is down.

A replica is used for a request only when it is up and has replayed the
last public change: the change time (see `changes`) is read on the
replica and compared with the primary's, which the response cache reads on
every request anyway. So a page is never rendered, nor stored, from a
replica that still shows something withdrawn. A replica that cannot be
reached is skipped for `DATABASE_REPLICA_RETRY_SECONDS`, with one warning in
the log, and its reads go to another replica or to the primary.
"""

import contextvars
import logging
import random
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from alliance.kernel.changes import current_generation
from alliance.kernel.models import ContentChange

logger = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Within a request that may read from a replica: the alias chosen (worked
# out at the first read), or None before that. Unset: the primary.
_replica = contextvars.ContextVar("replica", default=None)
UNDECIDED = object()

# Replicas that failed, by alias: when to try them again (time.monotonic()).
_down_until = {}


def replicas():
    return [alias for alias in settings.DATABASES if alias.startswith("replica")]


def reads_may_use_replica(request):
    """Whether this request may read from a replica: an anonymous public GET or HEAD."""
    if request.method not in ("GET", "HEAD") or not replicas():
        return False
    if request.path.startswith(("/admin/", settings.STATIC_URL, settings.MEDIA_URL)):
        return False
    cookies = request.COOKIES
    return not (
        settings.SESSION_COOKIE_NAME in cookies
        or settings.DATABASE_PIN_COOKIE in cookies
        or "HTTP_X_API_KEY" in request.META
        or "HTTP_AUTHORIZATION" in request.META
    )


def caught_up(alias):
    """Whether replica `alias` answers and has replayed the last public change."""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            f"SELECT changed_at FROM {ContentChange._meta.db_table} WHERE id = 1"
        )
        row = cursor.fetchone()
    return (str(row[0]) if row else "0") == current_generation()


def choose_replica():
    """A replica that is up and caught up, in random order; None: use the primary."""
    now = time.monotonic()
    candidates = [alias for alias in replicas() if _down_until.get(alias, 0) <= now]
    random.shuffle(candidates)
    for alias in candidates:
        try:
            if caught_up(alias):
                if _down_until.pop(alias, None) is not None:
                    logger.warning("Database replica %s is back", alias)
                return alias
        except DatabaseError as error:
            _down_until[alias] = now + settings.DATABASE_REPLICA_RETRY_SECONDS
            logger.warning(
                "Database replica %s unreachable, reading from the others: %s",
                alias,
                str(error).strip().splitlines()[0] if str(error).strip() else error,
            )
            connections[alias].close_if_unusable_or_obsolete()
    return None


class ReplicaRouter:
    """Send reads to the replica the request may use, and everything else to the primary."""

    def db_for_read(self, model, **hints):
        chosen = _replica.get()
        if chosen is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        if chosen is UNDECIDED:
            chosen = choose_replica() or DEFAULT_DB_ALIAS
            _replica.set(chosen)
        return chosen

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # Every alias holds the same data.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Let anonymous public reads use a replica; pin a visitor who wrote to the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _replica.set(UNDECIDED if reads_may_use_replica(request) else None)
        try:
            response = self.get_response(request)
        finally:
            _replica.reset(token)
        if request.method not in SAFE_METHODS and replicas():
            response.set_cookie(
                settings.DATABASE_PIN_COOKIE,
                "1",
                max_age=settings.DATABASE_PIN_SECONDS,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Lax",
            )
        return response
