"""Anonymous API requests count against their client's allowance before any cache."""

import datetime

import pytest
import time_machine
from django.core.cache import cache

from alliance.kernel.api.backends import AnonymousThrottle, PartnerThrottle
from alliance.kernel.models import PartnerKey
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db

# The start of an hour's window, and ten minutes into it.
WINDOW_START = datetime.datetime(2030, 3, 4, 5, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def three_an_hour(monkeypatch, settings):
    """Three anonymous requests an hour, two per key; the response cache on."""
    rates = {"anon": "3/hour", "partner": "2/hour"}
    monkeypatch.setattr(AnonymousThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(PartnerThrottle, "THROTTLE_RATES", rates)
    settings.RESPONSE_CACHE_SECONDS = 300
    cache.clear()
    yield
    cache.clear()


def test_every_anonymous_request_counts_once_cached_or_rendered(client):
    ArticleFactory(slug="story")
    # Rendered, then twice from the cache: three requests, three counted.
    statuses = [client.get("/api/v1/news/story/").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    assert client.get("/api/v1/news/story/").status_code == 429
    # The allowance is the client's, not the address's.
    assert client.get("/api/v1/news/").status_code == 429


def test_the_refusal_is_the_apis_429_in_the_clients_language(client):
    with time_machine.travel(WINDOW_START + datetime.timedelta(minutes=10), tick=False):
        for _ in range(3):
            client.get("/api/v1/tags/")
        chinese = client.get("/api/v1/tags/", headers={"Accept-Language": "zh-hans"})
        english = client.get(
            "/api/v1/tags/?lang=en", headers={"Accept-Language": "zh-hans"}
        )
    assert chinese.status_code == english.status_code == 429
    # The seconds left in the window, as the API has always said.
    assert chinese["Retry-After"] == english["Retry-After"] == "3000"
    assert chinese["Content-Type"] == "application/json"
    assert chinese.json() == {
        "status": 429,
        "detail": "请求已被限流。 预计 3000 秒后可用。",
    }
    assert chinese["Content-Language"] == "zh-hans"
    assert english.json() == {
        "status": 429,
        "detail": "Request was throttled. Expected available in 3000 seconds.",
    }
    assert english["Content-Language"] == "en"
    assert {"Accept-Language", "X-Api-Key"} <= {
        name.strip() for name in english["Vary"].split(",")
    }
    # A new window, a new allowance.
    with time_machine.travel(WINDOW_START + datetime.timedelta(hours=1), tick=False):
        assert client.get("/api/v1/tags/").status_code == 200


def test_every_address_under_the_api_counts_and_pages_do_not(client):
    assert client.get("/api/schema/").status_code == 200
    assert client.get("/api/v1/no-such-resource/").status_code == 404
    assert client.get("/api/v1/").status_code == 200
    refused = client.get("/api/schema/")
    assert refused.status_code == 429
    assert refused.json()["status"] == 429
    assert client.get("/api/v1/no-such-resource/").status_code == 429
    # The site's pages have no such allowance.
    assert client.get("/news/").status_code == 200


def test_a_method_the_api_does_not_answer_is_still_a_405(client):
    for _ in range(3):
        client.get("/api/v1/tags/")
    assert client.get("/api/v1/tags/").status_code == 429
    response = client.put("/api/v1/tags/", data={}, content_type="application/json")
    assert response.status_code == 405
    assert "GET" in response["Allow"]


def test_requests_with_a_key_are_left_to_the_api(client):
    for _ in range(3):
        client.get("/api/v1/tags/")
    assert client.get("/api/v1/tags/").status_code == 429
    _key_object, key = PartnerKey.objects.create_key(name="Portal", partner="Partner")
    # A good key is served (and counted against the key's own allowance)...
    assert [
        client.get("/api/v1/tags/", headers={"X-Api-Key": key}).status_code
        for _ in range(3)
    ] == [200, 200, 429]
    assert (
        client.get(
            "/api/v1/tags/", headers={"Authorization": f"Api-Key {key}"}
        ).status_code
        == 429
    )
    # ...and a wrong one is told so, not told to wait.
    wrong = client.get("/api/v1/tags/", headers={"X-Api-Key": "nope.nope"})
    assert wrong.status_code == 401


def test_clients_at_other_addresses_keep_their_allowance(client):
    for _ in range(3):
        client.get("/api/v1/tags/", REMOTE_ADDR="203.0.113.1")
    assert client.get("/api/v1/tags/", REMOTE_ADDR="203.0.113.1").status_code == 429
    assert client.get("/api/v1/tags/", REMOTE_ADDR="203.0.113.2").status_code == 200
