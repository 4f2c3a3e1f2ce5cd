"""The shared cache (Redis) as a helper that the site can lose at any moment.

Redis holds what is cheaper to keep than to work out again (rendered
answers, fragments) and the counts that every worker must share (API
throttles, the join form's limit). None of it is the only copy of anything:
the database is. So when Redis refuses connections or stops answering, the
site must carry on from the database at nearly the speed it has without
Redis at all, which means not waiting for Redis on every call:

- every call has short connect and read timeouts (settings, CACHES);
- after `FAILURE_THRESHOLD` failed calls in a row (or one that timed out,
  since a hung server makes every call wait), a circuit breaker stops
  calling Redis for `COOLDOWN` seconds, then lets a call through to see
  whether it is back;
- an outage is logged once, as one warning line, and its end once;
- counters fall back to this process's memory (`count`), so rate limits
  stay bounded (per worker) rather than off.

`ResilientRedisCache` is django-redis's backend with the breaker in front:
everything keeps using Django's cache API, and a failed call answers as a
cache miss would.
"""

import logging
import threading
import time
from urllib.parse import urlsplit

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django_redis.cache import RedisCache
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

FAILURE_THRESHOLD = 2
COOLDOWN = 10.0  # seconds without a call to Redis once the breaker opens
FAILURES = (ConnectionInterrupted, RedisError, OSError)


class CircuitBreaker:
    """Count consecutive failures of one server; open for a while after too many.

    One per server and process, shared by its threads. `allows()` is False
    while open; after the cooldown one caller at a time is let through, and
    its success closes the breaker again.
    """

    def __init__(self, name, threshold=FAILURE_THRESHOLD, cooldown=COOLDOWN):
        self.name = name
        self.threshold = threshold
        self.cooldown = cooldown
        self.failures = 0
        self.open_until = 0.0
        self.down_since = None
        self.lock = threading.Lock()

    @property
    def is_open(self):
        return self.failures >= self.threshold

    def allows(self):
        if not self.is_open:
            return True
        with self.lock:
            now = time.monotonic()
            if now < self.open_until:
                return False
            # Half open: this caller tries; the others wait for its answer.
            self.open_until = now + self.cooldown
            return True

    def succeeded(self):
        if not self.failures:
            return
        with self.lock:
            if self.down_since is not None:
                logger.warning(
                    "Cache %s answers again after %.0f s; using it again.",
                    self.name,
                    time.monotonic() - self.down_since,
                )
            self.failures = 0
            self.down_since = None

    def failed(self, error):
        with self.lock:
            # A refusal costs nothing and may be a blip; a timeout cost a wait.
            self.failures += self.threshold if _timed_out(error) else 1
            if self.failures < self.threshold:
                return
            self.open_until = time.monotonic() + self.cooldown
            if self.down_since is None:
                self.down_since = time.monotonic()
                # One line per outage, not a traceback per call.
                logger.warning(
                    "Cache %s unreachable (%s: %s); serving from the database, "
                    "retrying every %.0f s.",
                    self.name,
                    type(error).__name__,
                    str(error).splitlines()[0] if str(error) else "",
                    self.cooldown,
                )


def _timed_out(error):
    return isinstance(error, RedisTimeoutError | TimeoutError) or isinstance(
        error.__cause__, RedisTimeoutError | TimeoutError
    )


def _without_password(server):
    """The server's address as it may be logged (no credentials)."""
    servers = server if isinstance(server, list | tuple) else str(server).split(",")
    shown = []
    for location in servers:
        parts = urlsplit(location.strip())
        host = parts.hostname or ""
        shown.append(
            parts._replace(
                netloc=f"{host}:{parts.port}" if parts.port else host
            ).geturl()
        )
    return ",".join(shown)


_breakers = {}
_breakers_lock = threading.Lock()


def breaker_for(name):
    with _breakers_lock:
        return _breakers.setdefault(name, CircuitBreaker(name))


def _guarded(name, fallback):
    unguarded = getattr(RedisCache, name)

    def method(self, *args, **kwargs):
        return self.guard(lambda: unguarded(self, *args, **kwargs), fallback)

    method.__name__ = name
    method.__doc__ = unguarded.__doc__
    return method


class ResilientRedisCache(RedisCache):
    """django-redis behind a circuit breaker: a failed call answers as a miss."""

    def __init__(self, server, params):
        super().__init__(server, params)
        # Failures are handled (and logged once) here, not by django-redis.
        self._ignore_exceptions = False
        self.breaker = breaker_for(_without_password(server))

    def guard(self, operation, fallback=None):
        """Run `operation` unless the breaker is open; on failure return `fallback`."""
        if not self.breaker.allows():
            return fallback
        try:
            result = operation()
        except FAILURES as error:
            self.breaker.failed(error)
            return fallback
        self.breaker.succeeded()
        return result

    def get(self, key, default=None, version=None, client=None):
        return self.guard(
            lambda: RedisCache.get(self, key, default, version, client), default
        )

    def get_or_set(self, key, default, timeout=None, version=None):
        value = self.get(key, version=version)
        if value is None:
            value = default() if callable(default) else default
            if value is not None:
                self.add(key, value, timeout=timeout, version=version)
        return value

    set = _guarded("set", False)
    add = _guarded("add", False)
    delete = _guarded("delete", False)
    delete_many = _guarded("delete_many", None)
    delete_pattern = _guarded("delete_pattern", None)
    _get_many = _guarded("get_many", None)

    def get_many(self, keys, version=None):
        found = self._get_many(keys, version=version)
        return {} if found is None else found  # a new dict: callers may change it

    set_many = _guarded("set_many", None)
    has_key = _guarded("has_key", False)
    incr = _guarded("incr", None)
    decr = _guarded("decr", None)
    touch = _guarded("touch", False)
    ttl = _guarded("ttl", None)
    expire = _guarded("expire", False)
    clear = _guarded("clear", None)

    def count_in_window(self, key, window, version=None):
        """Add one to counter `key`, kept `window` seconds from its first count,
        and return the new value; None when Redis does not answer.

        One round trip (INCR and TTL in a pipeline), where the cache API's
        `incr` sends a script and a window's first count takes three trips;
        a second only to set the window of a new counter. The counter is a
        plain integer, which `get` reads as django-redis stores integers.
        """

        def operation():
            client = self.client.get_client(write=True)
            name = self.client.make_key(key, version=version)
            pipeline = client.pipeline(transaction=False)
            pipeline.incr(name)
            pipeline.ttl(name)
            value, ttl = pipeline.execute()
            if ttl == -1:  # new, or left without a window by an earlier failure
                client.expire(name, window)
            return value

        return self.guard(operation, None)

    def ping(self):
        """True when Redis answers now (the breaker permitting)."""
        return bool(self.guard(lambda: self.client.get_client(write=True).ping()))


# Counters that cannot reach the shared cache are kept here, per process.
_local_counts = LocMemCache("local-counts", {"OPTIONS": {"MAX_ENTRIES": 10_000}})


def count(key, window, cache=None):
    """Add one to counter `key` (kept `window` seconds) and return its new value.

    In the shared cache, where every worker counts together; when that cannot
    be reached, in this process's memory, so that a limit still holds (per
    worker) instead of letting everything through.
    """
    cache = cache or caches["default"]
    if hasattr(cache, "count_in_window"):
        value = cache.count_in_window(key, window)
    else:
        value = _increment(cache, key, window)
    if value is None:  # the shared cache did not answer
        value = _increment(_local_counts, key, window)
    return value


def _increment(cache, key, window):
    try:
        return cache.incr(key)
    except ValueError:
        # The first of a window; another worker may be starting it too.
        if cache.add(key, 1, window):
            return 1
        try:
            return cache.incr(key)
        except ValueError:
            return None


def is_shared(cache=None):
    """Whether the cache is one that all workers share (not process memory)."""
    cache = cache or caches["default"]
    return not isinstance(cache, LocMemCache)


def reachable(cache=None, probe=True):
    """Whether the shared cache can be used now; `probe` asks the server."""
    cache = cache or caches["default"]
    breaker = getattr(cache, "breaker", None)
    if breaker is None:
        return True
    if not probe:
        return not breaker.is_open
    return cache.ping()


def status():
    """'ok', 'degraded' (configured but not answering) or 'local' (no shared cache)."""
    cache = caches["default"]
    if not is_shared(cache):
        return "local"
    return "ok" if reachable(cache) else "degraded"
