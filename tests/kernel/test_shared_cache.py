"""Redis as a helper: a cache that does not answer costs little and logs once."""

import logging

import pytest
from django.core.cache import cache, caches
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from alliance.kernel import shared_cache
from tests.helpers import REDIS_URL

# Nothing listens on this port of the suite's range: connections are refused.
DEAD_REDIS = "redis://127.0.0.1:19599/0"


@pytest.fixture
def dead_redis(settings):
    shared_cache._breakers.clear()
    settings.CACHES = {
        "default": {
            "BACKEND": "alliance.kernel.shared_cache.ResilientRedisCache",
            "LOCATION": DEAD_REDIS,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.1, "SOCKET_TIMEOUT": 0.1},
        }
    }
    yield
    shared_cache._breakers.clear()


def test_a_refused_cache_answers_as_a_miss_and_logs_one_line_per_outage(
    dead_redis, caplog
):
    caplog.set_level(logging.WARNING, logger="alliance.kernel.shared_cache")
    results = [cache.get("key", "missing") for _ in range(20)]
    assert results == ["missing"] * 20
    assert cache.set("key", 1) is False and cache.get_many(["a", "b"]) == {}
    warnings = [r for r in caplog.records if r.name == "alliance.kernel.shared_cache"]
    assert len(warnings) == 1 and "unreachable" in warnings[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_after_repeated_failures_the_breaker_stops_calling_redis(dead_redis):
    cache.get("first")
    cache.get("second")
    breaker = cache.breaker
    assert breaker.is_open and not breaker.allows()
    calls = []
    assert cache.guard(lambda: calls.append(1), fallback="skipped") == "skipped"
    assert calls == []


def test_counts_hold_per_worker_while_the_shared_cache_is_away(dead_redis):
    counts = [shared_cache.count("join-rate:192.0.2.1", 3600) for _ in range(6)]
    assert counts == [1, 2, 3, 4, 5, 6]


@pytest.mark.django_db
def test_readyz_reports_the_cache_degraded_and_stays_ready(client, dead_redis):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "degraded"},
    }


@pytest.mark.django_db
def test_join_form_is_still_rate_limited_with_the_cache_away(client, dead_redis):
    statuses = [
        client.post("/members/join/", {}, REMOTE_ADDR="192.0.2.44").status_code
        for _ in range(7)
    ]
    assert statuses == [400] * 5 + [429] * 2


def test_check_deploy_warns_of_several_workers_without_a_shared_cache(settings):
    settings.WEB_CONCURRENCY = 4
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    with pytest.raises(SystemCheckError, match=r"alliance\.W001"):
        call_command("check", deploy=True, fail_level="WARNING", tags=["caches"])


def test_check_deploy_is_quiet_with_one_worker_or_a_shared_cache(settings):
    settings.WEB_CONCURRENCY = 1
    call_command("check", deploy=True, fail_level="WARNING", tags=["caches"])
    settings.WEB_CONCURRENCY = 4
    settings.CACHES = {
        "default": {
            "BACKEND": "alliance.kernel.shared_cache.ResilientRedisCache",
            "LOCATION": DEAD_REDIS,
        }
    }
    call_command("check", deploy=True, fail_level="WARNING", tags=["caches"])


def test_a_count_in_redis_keeps_its_window_and_reads_back_as_a_number(settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "alliance.kernel.shared_cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
    cache = caches["default"]
    cache.delete("rate:198.51.100.7")
    try:
        counts = [shared_cache.count("rate:198.51.100.7", 600) for _ in range(3)]
        assert counts == [1, 2, 3]
        # The window runs from the first count and is not pushed back by the others.
        assert 595 <= cache.ttl("rate:198.51.100.7") <= 600
        assert cache.get("rate:198.51.100.7") == 3
        # A counter left without a window (by an earlier failure) gets one.
        cache.set("rate:198.51.100.7", 9, timeout=None)
        assert shared_cache.count("rate:198.51.100.7", 600) == 10
        assert 595 <= cache.ttl("rate:198.51.100.7") <= 600
    finally:
        cache.delete("rate:198.51.100.7")
