"""Background tasks: queued at the commit, run by a worker, failures listed and run again."""

import logging
import os
import signal
import smtplib
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, connections, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alliance.kernel import proxy_cache
from alliance.kernel.tasks import fail_abandoned, recover_abandoned
from alliance.project.management.commands.worker import recover_every
from members.models import ApplicationStatus, MembershipApplication
from members.services import (
    application_acknowledge,
    application_approve,
    application_tell_decision,
    member_import_run,
)
from tests.factories import (
    ArticleFactory,
    EndpointFactory,
    MembershipApplicationFactory,
    TierFactory,
)
from tests.helpers import ROOT, run_tasks, run_worker_batch, start_worker
from tests.kernel.mail_server import MailServer
from tests.webhooks.receiver import Receiver
from webhooks.models import Delivery, DeliveryState, Endpoint
from webhooks.services import deliver

pytestmark = pytest.mark.usefixtures("database_tasks")


class FailingMailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("Connection unexpectedly closed")


@pytest.fixture
def application(db):
    TierFactory()
    return MembershipApplicationFactory(contact_email="ada@orbit.example")


def test_a_decision_that_is_rolled_back_sends_nothing(
    application, admin_user, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        application_approve(application=application, reviewed_by=admin_user)
        raise RuntimeError("the rest of the request failed")
    assert callbacks == []
    assert not DBTaskResult.objects.exists()
    assert run_tasks() == 0 and mail.outbox == []
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


def test_a_committed_decision_is_queued_and_sent_by_the_worker(
    application, admin_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        application_approve(application=application, reviewed_by=admin_user)
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "members.services.application_tell_decision"
    assert queued.args_kwargs == {
        "args": [],
        "kwargs": {"application_id": application.pk},
    }
    assert mail.outbox == []  # the request does not wait for the mail server
    assert run_tasks() == 1
    [message] = mail.outbox
    assert message.to == ["ada@orbit.example"]
    assert "approved" in message.subject


def test_a_failed_task_is_listed_with_its_error_and_runs_again_from_the_admin(
    application, admin_user, admin_client, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingMailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        application_approve(application=application, reviewed_by=admin_user)
    run_tasks()
    failed = DBTaskResult.objects.get()
    assert failed.status == "FAILED"

    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    page = admin_client.get(changelist, {"status__exact": "FAILED"})
    assert "SMTPException: Connection unexpectedly closed" in page.content.decode()
    detail = admin_client.get(
        reverse("admin:django_tasks_database_dbtaskresult_change", args=[failed.pk])
    )
    assert "Traceback" in detail.content.decode()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    response = admin_client.post(
        changelist,
        {"action": "run_again", "_selected_action": [failed.pk]},
        follow=True,
    )
    assert "1 task is queued again." in response.content.decode()
    assert run_tasks() == 1
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"
    [message] = mail.outbox
    assert message.to == ["ada@orbit.example"]


def test_runs_marked_running_since_before_the_time_given_are_failed_as_abandoned(
    application, admin_client
):
    now, hour = timezone.now(), timedelta(hours=1)

    def running(task_, started_at, **kwargs):
        # Taken by a worker that was then killed: marked running ever since.
        result = DBTaskResult.objects.get(pk=task_.enqueue(**kwargs).id)
        result.claim("killed-worker")
        DBTaskResult.objects.filter(pk=result.pk).update(started_at=started_at)
        return result

    lost = running(
        application_acknowledge, now - 2 * hour, application_id=application.pk
    )
    others = [
        running(application_acknowledge, now, application_id=application.pk),
        running(application_acknowledge, now - 2 * hour, application_id=0),
        running(
            application_tell_decision, now - 2 * hour, application_id=application.pk
        ),
    ]
    failed = fail_abandoned(
        application_acknowledge,
        started_before=now - hour,
        application_id=application.pk,
    )
    assert failed == [lost]
    lost.refresh_from_db()
    assert (lost.status, lost.exception_class_path) == (
        "FAILED",
        "alliance.kernel.tasks.WorkerLost",
    )
    assert [DBTaskResult.objects.get(pk=other.pk).status for other in others] == [
        "RUNNING"
    ] * 3
    page = admin_client.get(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        {"status__exact": "FAILED"},
    )
    assert "WorkerLost: The worker running this task stopped before it ended" in (
        page.content.decode()
    )


def test_staff_without_the_permission_cannot_see_the_tasks(client, django_user_model):
    editor = django_user_model.objects.create_user("ed", password="pw", is_staff=True)
    client.force_login(editor)
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    assert client.get(changelist).status_code == 403


def _database_url():
    settings = connection.settings_dict
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:"
        f"{settings['PORT']}/{settings['NAME']}"
    )


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_the_worker_finishes_its_task_on_sigterm_and_leaves_the_rest_queued(
    admin_user,
):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share: PostgreSQL")
    arrived, release = threading.Event(), threading.Event()

    def hold(request):
        arrived.set()
        release.wait(60)
        return 204

    with Receiver(answers=[hold]) as receiver:
        EndpointFactory(url=receiver.url)
        ArticleFactory(slug="orbit-day")  # the delivery: queued first
        TierFactory()
        application = MembershipApplicationFactory()
        application_approve(application=application, reviewed_by=admin_user)
        assert DBTaskResult.objects.filter(status="READY").count() == 2

        env = {
            **os.environ,
            "DATABASE_URL": _database_url(),
            "TASKS_BACKEND": "database",
            "DJANGO_DEBUG": "true",
            "EMAIL_URL": "consolemail://",
        }
        command = [sys.executable, "manage.py", "worker", "--interval", "0.1"]
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        try:
            assert arrived.wait(60), "the worker never sent the delivery"
            worker.send_signal(signal.SIGTERM)
            release.set()
            output, _ = worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
        assert worker.returncode == 0, output.decode()
        assert b"shutting down gracefully" in output

    delivery = DBTaskResult.objects.get(task_path="webhooks.services.deliver")
    assert delivery.status == "SUCCESSFUL"
    assert Delivery.objects.get().state == DeliveryState.DELIVERED
    mail_task = DBTaskResult.objects.get(
        task_path="members.services.application_tell_decision"
    )
    assert mail_task.status == "READY"  # not taken, not lost

    # The next worker picks it up.
    subprocess.run(
        [*command[:3], "--batch"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    mail_task.refresh_from_db()
    assert mail_task.status == "SUCCESSFUL"
    assert MembershipApplication.objects.get().status == ApplicationStatus.APPROVED


# --- Runs a killed worker left marked running ---------------------------------

MINUTE = timedelta(minutes=1)


def taken_by_a_worker(task_, *args, runs=1, **kwargs):
    """Enqueue `task_` and mark it taken, `runs` times in all, the last by a worker killed since."""
    result = DBTaskResult.objects.get(pk=task_.enqueue(*args, **kwargs).id)
    for run in range(runs):
        result.claim(f"worker-{run + 1}")
    return result


def status(result):
    result.refresh_from_db()
    return result.status


def test_a_run_past_its_limit_is_queued_again_if_it_may_run_twice_else_failed(
    application, admin_client
):
    purge = taken_by_a_worker(proxy_cache.purge_keys, keys=["news.article-1"])
    receipt = taken_by_a_worker(application_acknowledge, application_id=application.pk)
    # Long tasks state a limit of their own (the member import: an hour).
    importing = taken_by_a_worker(
        member_import_run,
        import_id=1,
        site_url="https://alliance.example",
    )
    with time_machine.travel(timezone.now() + 29 * MINUTE):
        # Slow, perhaps, but within the limit (TASK_MAX_RUN_MINUTES = 30).
        assert recover_abandoned() == ([], [])
    with time_machine.travel(timezone.now() + 31 * MINUTE):
        queued, failed = recover_abandoned()
        assert (queued, failed) == ([purge], [receipt])
    assert [status(purge), status(receipt), status(importing)] == [
        "READY",
        "FAILED",
        "RUNNING",
    ]
    purge.refresh_from_db()
    assert purge.worker_ids == ["worker-1"]  # the lost run counts
    assert (purge.started_at, purge.exception_class_path) == (None, "")
    receipt.refresh_from_db()
    assert receipt.exception_class_path == "alliance.kernel.tasks.WorkerLost"
    assert "The worker running this task stopped before it ended" in receipt.traceback
    page = admin_client.get(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        {"status__exact": "FAILED"},
    )
    assert "WorkerLost: The worker running this task stopped" in page.content.decode()

    assert run_tasks() == 1  # the purge, again
    assert status(purge) == "SUCCESSFUL"
    assert mail.outbox == []  # the receipt may have gone out: not sent again


def test_a_run_lost_again_and_again_is_failed_once_its_retries_are_spent(db):
    retries = len(proxy_cache.RETRY_AFTER)
    assert proxy_cache.purge_keys.retry_lost == retries
    within = taken_by_a_worker(proxy_cache.purge_keys, keys=["a"], runs=retries)
    spent = taken_by_a_worker(proxy_cache.purge_keys, keys=["b"], runs=retries + 1)
    with time_machine.travel(timezone.now() + 31 * MINUTE):
        assert recover_abandoned() == ([within], [spent])
    assert (status(within), status(spent)) == ("READY", "FAILED")


def test_a_run_of_a_task_that_no_longer_exists_is_failed(db):
    gone = taken_by_a_worker(proxy_cache.purge_keys, keys=["a"])
    DBTaskResult.objects.filter(pk=gone.pk).update(task_path="news.tasks.gone")
    with time_machine.travel(timezone.now() + 31 * MINUTE):
        assert recover_abandoned() == ([], [gone])


class Passes:
    """The waits of a worker between its passes: the clock moves on instead of sleeping.

    After each pass it notes the state of `run`; it stops the worker after `passes`.
    """

    def __init__(self, traveller, run, passes):
        self.traveller, self.run, self.passes = traveller, run, passes
        self.seen = []

    def wait(self, seconds):
        self.seen.append(status(self.run))
        self.traveller.shift(timedelta(seconds=seconds))
        return len(self.seen) >= self.passes


@pytest.mark.django_db(transaction=True)
def test_a_worker_recovers_when_it_starts_and_at_each_pass_after(settings):
    settings.TASK_MAX_RUN_MINUTES = 30
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        lost = taken_by_a_worker(proxy_cache.purge_keys, keys=["news.article-1"])
        passes = Passes(traveller, lost, passes=3)
        recover_every(20 * 60, passes)
    # At the start and 20 minutes later the run was young; at 40, lost.
    assert passes.seen == ["RUNNING", "RUNNING", "READY"]


@pytest.mark.django_db(transaction=True)
def test_two_workers_recovering_at_once_recover_a_run_once():
    if connection.vendor != "postgresql":
        pytest.skip("two workers at once need a database that locks rows: PostgreSQL")
    lost = taken_by_a_worker(proxy_cache.purge_keys, keys=["news.article-1"])
    holding, go = threading.Event(), threading.Event()

    class Pause(logging.Handler):
        # The first worker stops while it holds the run's row (it logs the
        # recovery before its transaction commits).
        def emit(self, record):
            if threading.current_thread() is first:
                holding.set()
                go.wait(30)

    answers = {}

    def recover_in_first_worker():
        try:
            answers["first"] = recover_abandoned()
        finally:
            connections.close_all()

    first = threading.Thread(target=recover_in_first_worker)
    handler = Pause()
    logger = logging.getLogger("alliance.kernel.tasks")
    logger.addHandler(handler)
    try:
        with time_machine.travel(timezone.now() + 31 * MINUTE):
            first.start()
            assert holding.wait(30)
            # The second neither waits for the row nor takes it.
            with connection.cursor() as cursor:
                cursor.execute("SET lock_timeout = '5s'")
            assert recover_abandoned() == ([], [])
            go.set()
            first.join(30)
            # Nor once the first is done: the run is no longer running.
            assert recover_abandoned() == ([], [])
    finally:
        go.set()
        logger.removeHandler(handler)
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert answers["first"] == ([lost], [])
    lost.refresh_from_db()
    assert (lost.status, lost.worker_ids) == ("READY", ["worker-1"])


def as_if_later(delta):
    """Move back the times a killed worker left, as if `delta` had passed.

    A worker in a process of its own reads the real clock; the test moves
    the marks back rather than the clock forward (or sleeping).
    """
    DBTaskResult.objects.running().update(started_at=F("started_at") - delta)
    Endpoint.objects.filter(lease_until__isnull=False).update(
        lease_until=F("lease_until") - delta
    )


WORKER_ENVIRONMENT = {"TASKS_BACKEND": "database", "DJANGO_DEBUG": "true"}


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_a_delivery_whose_worker_is_killed_is_delivered_once_by_another_worker():
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share: PostgreSQL")
    arrived, delivered, release = (threading.Event() for _ in range(3))

    def lost_with_the_worker(request):
        arrived.set()
        release.wait(60)
        return 204

    def answered(request):
        delivered.set()
        return 204

    with Receiver(answers=[lost_with_the_worker, answered], then=500) as receiver:
        EndpointFactory(url=receiver.url)
        ArticleFactory(slug="orbit-day")
        [run] = DBTaskResult.objects.all()
        assert run.task_path == "webhooks.services.deliver"

        killed = start_worker(**WORKER_ENVIRONMENT)
        try:
            assert arrived.wait(60), "the worker never sent the delivery"
        finally:
            killed.kill()  # SIGKILL, as the out-of-memory killer sends
            killed.wait()
            release.set()
        assert status(run) == "RUNNING"
        assert Delivery.objects.get().state == DeliveryState.PENDING

        # Another worker, running, recovers the run once it is past its limit.
        survivor = start_worker(TASK_RECOVERY_SECONDS="1", **WORKER_ENVIRONMENT)
        try:
            as_if_later(deliver.run_time_limit + MINUTE)
            assert delivered.wait(60), "the delivery was not recovered"
        finally:
            survivor.send_signal(signal.SIGTERM)
            survivor.wait(60)
        # Once it is delivered, no worker sends it again.
        worker = run_worker_batch(**WORKER_ENVIRONMENT)
        assert worker.returncode == 0, worker.stdout + worker.stderr

    delivery = Delivery.objects.get()
    assert delivery.state == DeliveryState.DELIVERED
    # The partner heard it twice, under one id: the lost try and the delivery.
    assert receiver.ids() == [delivery.event.webhook_id] * 2
    run.refresh_from_db()
    assert run.status == "SUCCESSFUL"
    assert len(run.worker_ids) == 2  # the killed worker's run, and the one after


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_a_mail_whose_worker_is_killed_is_failed_as_lost_and_not_sent_twice(
    admin_user, admin_client
):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share: PostgreSQL")
    TierFactory()
    application = MembershipApplicationFactory(contact_email="ada@orbit.example")
    application_approve(application=application, reviewed_by=admin_user)
    [run] = DBTaskResult.objects.all()
    assert run.task_path == "members.services.application_tell_decision"

    with MailServer(hold=True) as mail_server:
        environment = {**WORKER_ENVIRONMENT, "EMAIL_URL": mail_server.url}
        killed = start_worker(**environment)
        try:
            # The mail server has the message; the worker has not heard so.
            assert mail_server.received.wait(60), "the worker never sent the mail"
        finally:
            killed.kill()
            killed.wait()
        assert status(run) == "RUNNING"

        as_if_later(application_tell_decision.run_time_limit + MINUTE)
        worker = run_worker_batch(**environment)
        assert worker.returncode == 0, worker.stdout + worker.stderr
        assert len(mail_server.messages) == 1

    run.refresh_from_db()
    assert (run.status, run.exception_class_path) == (
        "FAILED",
        "alliance.kernel.tasks.WorkerLost",
    )
    assert b"ada@orbit.example" in mail_server.messages[0]
    page = admin_client.get(
        reverse("admin:django_tasks_database_dbtaskresult_changelist"),
        {"status__exact": "FAILED"},
    )
    assert "WorkerLost: The worker running this task stopped" in page.content.decode()
