"""The Redis queue (TASKS_BACKEND=rq): a task queued by the site runs in an RQ worker process."""

import os

import pytest
import redis
from django.core import mail
from django.db import connection

from members.services import application_approve
from tests.factories import MembershipApplicationFactory, TierFactory
from tests.helpers import REDIS_URL, run_worker_batch

pytestmark = [pytest.mark.once, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def rq_tasks(settings):
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}")
    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the database: PostgreSQL")
    settings.RQ_QUEUES = {name: {"URL": REDIS_URL} for name in settings.TASK_QUEUES}
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_rq.RQBackend",
            "QUEUES": settings.TASK_QUEUES,
        }
    }
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


def test_a_decision_email_runs_in_an_rq_worker(rq_tasks, admin_user):
    TierFactory()
    application = MembershipApplicationFactory(contact_email="ada@orbit.example")
    application_approve(application=application, reviewed_by=admin_user)
    assert mail.outbox == []  # queued in Redis, not sent here
    assert rq_tasks.llen("rq:queue:default") == 1

    done = run_worker_batch(timeout=120, TASKS_BACKEND="rq", TASKS_REDIS_URL=REDIS_URL)
    assert done.returncode == 0, done.stdout + done.stderr
    assert rq_tasks.llen("rq:queue:default") == 0
    # The console mail backend prints the message the worker sent.
    assert "To: ada@orbit.example" in done.stdout, done.stdout + done.stderr
    assert "was approved" in done.stdout
