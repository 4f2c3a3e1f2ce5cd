"""Anonymous answers come from the cache until the content they show changes."""

import datetime
import os
import socket
import time
from unittest import mock

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.kernel.response_cache import (
    ResponseCacheMiddleware,
    answers_in_memory,
    forget_answers_in_memory,
    seconds_to_live,
)
from news.models import Article
from tests.factories import ArticleFactory, MemberFactory, PageFactory
from tests.helpers import REDIS_URL, redis_available

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.RESPONSE_CACHE_SECONDS = 300


def stored_key(path, **kwargs):
    request = RequestFactory().get(path, **kwargs)
    return ResponseCacheMiddleware(None).key_for(request)


def lifetime_left(path):
    """Seconds the cache keeps the stored answer of `path`."""
    key = stored_key(path)
    if hasattr(cache, "ttl"):  # Redis
        return cache.ttl(key)
    return cache._expire_info[cache.make_key(key)] - time.time()


def queries_of(client, path, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **kwargs)
    return response, len(queries)


def test_a_second_anonymous_request_costs_one_read_of_the_change_time(client):
    ArticleFactory(title="Cached story")
    first, first_queries = queries_of(client, "/news/")
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/news/")
    assert first_queries > 1
    assert len(queries) == 1 and "contentchange" in queries[0]["sql"]
    assert second.status_code == 200
    assert second.content == first.content
    assert second["ETag"] == first["ETag"]


def test_a_cached_answer_keeps_every_security_header_and_honours_if_none_match(
    client, settings
):
    settings.SECURE_HSTS_SECONDS = 3600
    client.get("/", secure=True)
    response, queries = queries_of(client, "/", secure=True)
    assert queries == 1
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Strict-Transport-Security"].startswith("max-age=3600")
    again = client.get("/", secure=True, headers={"If-None-Match": response["ETag"]})
    assert again.status_code == 304


def test_a_publish_shows_up_at_once(client):
    ArticleFactory(title="Old story")
    assert b"Fresh story" not in client.get("/news/").content
    draft = ArticleFactory(title="Fresh story", status="draft")
    assert b"Fresh story" not in client.get("/news/").content
    Article.objects.filter(pk=draft.pk).publish()
    assert b"Fresh story" in client.get("/news/").content


def test_an_edit_of_a_related_object_shows_up_on_the_pages_that_show_it(client):
    member = MemberFactory(name="Acme Orbital")
    ArticleFactory(slug="story", members=[member])
    assert b"Acme Orbital" in client.get("/news/story/").content
    member.name = "Acme Space"
    member.save()
    assert b"Acme Space" in client.get("/news/story/").content


def test_an_unpublished_page_leaves_the_cache_too(client):
    page = PageFactory(slug="charter", title="Charter")
    assert client.get("/charter/").status_code == 200
    page.status = "draft"
    page.save()
    assert client.get("/charter/").status_code == 404


def test_a_scheduled_article_bounds_how_long_answers_are_kept():
    now = timezone.now()
    ArticleFactory(published_at=now + datetime.timedelta(seconds=90))
    assert 1 <= seconds_to_live(now=now) <= 90


def test_an_answer_is_kept_no_longer_than_until_the_next_scheduled_article(client):
    due = timezone.now() + datetime.timedelta(seconds=90)
    ArticleFactory(title="Morning story", published_at=due)
    assert b"Morning story" not in client.get("/news/").content
    assert 0 < lifetime_left("/news/") <= 90


@pytest.mark.parametrize(
    ("path", "kwargs"),
    [
        ("/news/", {"HTTP_COOKIE": "sessionid=abc"}),  # someone signed in
        ("/members/join/", {}),  # a form with a CSRF token
        ("/news/story/?preview", {}),  # a staff preview
        ("/healthz", {}),
        ("/no-such-page/", {}),
        ("/api/v1/news/", {"headers": {"X-Api-Key": "nope.nope"}}),
    ],
)
def test_what_is_personal_or_not_a_page_is_never_stored(client, path, kwargs):
    ArticleFactory(slug="story")
    client.get(path, **kwargs)
    # Nothing stored that an anonymous visitor of the same address would get.
    assert cache.get(stored_key(path)) is None


def test_signed_in_users_always_get_a_fresh_page(client, admin_user):
    ArticleFactory(slug="story")
    client.force_login(admin_user)
    client.get("/news/story/")
    # The article itself is read again (its parts may come from fragments).
    _response, queries = queries_of(client, "/news/story/")
    assert queries > 0


def test_the_api_caches_per_language(client):
    ArticleFactory(slug="story", title_en="Launch", title_zh_hans="发射")
    english = client.get("/api/v1/news/story/")
    chinese = client.get("/api/v1/news/story/", headers={"Accept-Language": "zh-hans"})
    assert english.json()["title"] == "Launch"
    assert chinese.json()["title"] == "发射"
    _response, queries = queries_of(
        client, "/api/v1/news/story/", headers={"Accept-Language": "zh-hans"}
    )
    assert queries == 1 and _response.json()["title"] == "发射"


def test_cached_api_answers_still_count_against_the_allowance(client, settings):
    from alliance.kernel.api.backends import AnonymousThrottle

    rates = {**AnonymousThrottle.THROTTLE_RATES, "anon": "3/hour"}
    original = AnonymousThrottle.THROTTLE_RATES
    AnonymousThrottle.THROTTLE_RATES = rates
    try:
        statuses = [client.get("/api/v1/tags/").status_code for _ in range(4)]
    finally:
        AnonymousThrottle.THROTTLE_RATES = original
    assert statuses == [200, 200, 200, 429]


def test_with_the_cache_off_nothing_is_stored(client, settings):
    settings.RESPONSE_CACHE_SECONDS = 0
    ArticleFactory(slug="story")
    client.get("/news/story/")
    _response, queries = queries_of(client, "/news/story/")
    assert queries > 0


@pytest.mark.skipif(
    not redis_available() and not os.environ.get("CI"), reason="no Redis"
)
def test_with_redis_a_cached_api_answer_is_counted_once(client, settings):
    from alliance.kernel.api.backends import AnonymousThrottle

    settings.CACHES = {
        "default": {
            "BACKEND": "alliance.kernel.shared_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
    cache.clear()
    ArticleFactory(slug="story")
    original = AnonymousThrottle.THROTTLE_RATES
    AnonymousThrottle.THROTTLE_RATES = {**original, "anon": "3/hour"}
    try:
        first = client.get("/api/v1/news/story/")  # rendered, counted once
        second, queries = queries_of(client, "/api/v1/news/story/")  # from the cache
        third = client.get("/api/v1/news/story/")
        fourth = client.get("/api/v1/news/story/")
    finally:
        AnonymousThrottle.THROTTLE_RATES = original
        cache.clear()
    assert [r.status_code for r in (first, second, third, fourth)] == [
        200,
        200,
        200,
        429,
    ]
    assert queries == 1 and second.json()["slug"] == "story"
    assert "Retry-After" in fourth


def test_a_scheduled_article_appears_at_its_time_through_every_cache(client):
    """Response cache and fragments on: the list page, its cards and the API
    list all let the article in once its time has come, with no write."""
    ArticleFactory(title="Older story", slug="older")
    now = timezone.now()
    due = now + datetime.timedelta(seconds=1)
    ArticleFactory(title="Morning story", slug="morning", published_at=due)
    # The clock stands still until the article's time, however slow the machine.
    with time_machine.travel(now, tick=False):
        for _ in range(2):  # the second answer comes from the caches
            assert b"Morning story" not in client.get("/news/").content
            assert "morning" not in client.get("/api/v1/news/").content.decode()
            assert client.get("/news/morning/").status_code == 404
    with time_machine.travel(due + datetime.timedelta(seconds=1.1), tick=True):
        assert b"Morning story" in client.get("/news/").content
        assert "morning" in client.get("/api/v1/news/").content.decode()
        assert client.get("/news/morning/").status_code == 200


def test_unknown_page_parameters_are_served_but_never_stored(client):
    ArticleFactory(title="Cached story")
    for number in range(3):
        response = client.get(f"/news/?junk{number}=x")
        assert response.status_code == 200 and b"Cached story" in response.content
        assert cache.get(stored_key(f"/news/?junk{number}=x")) is None
    assert stored_key("/news/?junk=x") is None


def test_tracking_parameters_share_the_stored_page(client):
    ArticleFactory(title="Cached story")
    client.get("/news/?tag=&page=1")
    assert stored_key("/news/?utm_source=wechat&page=1&tag=&from=timeline") == (
        stored_key("/news/?tag=&page=1")
    )
    _response, queries = queries_of(client, "/news/?page=1&utm_medium=social&tag=")
    assert queries == 1


def test_api_parameters_all_make_the_key(client):
    # The API answers an unknown parameter with a 400, which is never stored.
    assert stored_key("/api/v1/news/?utm_source=x") != stored_key("/api/v1/news/")
    response = client.get("/api/v1/news/?utm_source=x")
    assert response.status_code == 400
    assert cache.get(stored_key("/api/v1/news/?utm_source=x")) is None


def test_a_withdrawal_is_final_even_if_the_cache_never_hears_of_it(client):
    """The cache is not told: the change time in the database alone ends the answer."""
    ArticleFactory(slug="story", title="Withdrawn story")
    for path in ("/news/", "/news/story/", "/api/v1/news/", "/news/feed/"):
        assert b"Withdrawn story" in client.get(path).content
    # As a bulk action does, under the model's own rules; the cache is left as it is.
    Article.objects.filter(slug="story").unpublish()
    assert client.get("/news/story/").status_code == 404
    for path in ("/news/", "/api/v1/news/", "/news/feed/", "/sitemap.xml"):
        assert b"Withdrawn story" not in client.get(path).content, path


# --- Answers kept in the worker's memory too ---------------------------------


def redis_cache(location=REDIS_URL):
    return {
        "default": {
            "BACKEND": "alliance.kernel.shared_cache.ResilientRedisCache",
            "LOCATION": location,
            "OPTIONS": {
                "CLIENT_CLASS": "django_redis.client.DefaultClient",
                "SOCKET_CONNECT_TIMEOUT": 0.1,
                "SOCKET_TIMEOUT": 0.25,
            },
        }
    }


@pytest.mark.skipif(
    not redis_available() and not os.environ.get("CI"), reason="no Redis"
)
def test_a_hot_answer_comes_from_memory_and_goes_on_while_redis_is_away(
    client, settings
):
    settings.CACHES = redis_cache()
    cache.clear()
    ArticleFactory(title="Kept close")
    first = client.get("/news/")
    # Redis goes away (nothing listens on the port): the answer is still
    # served, and not rendered again (the read of the generation alone).
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    settings.CACHES = redis_cache(f"redis://127.0.0.1:{closed}/0")
    second, queries = queries_of(client, "/news/")
    assert second.status_code == 200
    assert second.content == first.content and b"Kept close" in second.content
    assert queries == 1
    # A change is seen at once: the kept answer belongs to the old generation.
    ArticleFactory(title="Written meanwhile")
    third, queries = queries_of(client, "/news/")
    assert b"Written meanwhile" in third.content
    assert queries > 1


def test_a_hit_in_memory_asks_the_shared_cache_nothing(client):
    ArticleFactory(title="Near")
    client.get("/news/")
    with mock.patch.object(cache, "get", wraps=cache.get) as shared_get:
        again = client.get("/news/")
    assert b"Near" in again.content
    assert shared_get.call_count == 0
    # Another worker (an empty memory) finds it in the shared cache, and keeps it.
    forget_answers_in_memory()
    with mock.patch.object(cache, "get", wraps=cache.get) as shared_get:
        client.get("/news/")
        client.get("/news/")
    assert shared_get.call_count == 1


def test_memory_keeps_a_bounded_number_of_answers_and_no_large_ones(
    client, settings, monkeypatch
):
    settings.RESPONSE_CACHE_MEMORY_ENTRIES = 4
    pages = [PageFactory(slug=f"page-{number}") for number in range(10)]
    for page in pages:
        assert client.get(page.get_absolute_url()).status_code == 200
    memory = answers_in_memory()
    kept = [
        page
        for page in pages
        if memory.get(stored_key(page.get_absolute_url())) is not None
    ]
    assert 1 <= len(kept) <= 4
    assert pages[-1] in kept  # the latest stays
    # An answer over the size kept in memory is left to the shared cache.
    monkeypatch.setattr("alliance.kernel.response_cache.MEMORY_MAX_BYTES", 100)
    forget_answers_in_memory()
    client.get("/news/")
    assert memory.get(stored_key("/news/")) is None
    assert cache.get(stored_key("/news/")) is not None


def test_with_no_entries_in_memory_every_hit_reads_the_shared_cache(client, settings):
    settings.RESPONSE_CACHE_MEMORY_ENTRIES = 0
    ArticleFactory(title="Shared only")
    client.get("/news/")
    assert answers_in_memory() is None
    with mock.patch.object(cache, "get", wraps=cache.get) as shared_get:
        again, queries = queries_of(client, "/news/")
    assert b"Shared only" in again.content and queries == 1
    assert shared_get.call_count == 1
