"""Throttle counters live in the shared cache: every worker process counts together."""

import os
import subprocess
import sys

import pytest
import redis

from tests.helpers import REDIS_URL, redis_available

pytestmark = pytest.mark.skipif(
    not redis_available() and not os.environ.get("CI"),
    reason=f"no Redis at {REDIS_URL}",
)

# Each "worker" is a separate Python process with its own cache client.
WORKER = """
import django, os, sys
os.environ["REDIS_URL"] = sys.argv[1]
# Per hour: the four processes take seconds, and must not straddle a window.
os.environ["API_ANON_RATE"] = "3/hour"
os.environ["DJANGO_SETTINGS_MODULE"] = "alliance.project.settings"
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
from django.utils import timezone
import alliance.kernel.api.common
setup_test_environment()
# No test database in these processes: Last-Modified must not need one.
alliance.kernel.api.common.last_modified = timezone.now
print(Client().get("/api/v1/", REMOTE_ADDR="203.0.113.9").status_code)
"""


def test_separate_processes_share_one_anonymous_allowance():
    connection = redis.Redis.from_url(REDIS_URL)
    connection.flushdb()
    statuses = []
    for _ in range(4):
        result = subprocess.run(
            [sys.executable, "-c", WORKER, REDIS_URL],
            capture_output=True,
            text=True,
            check=True,
        )
        statuses.append(int(result.stdout.strip().splitlines()[-1]))
    connection.flushdb()
    assert statuses == [200, 200, 200, 429]
