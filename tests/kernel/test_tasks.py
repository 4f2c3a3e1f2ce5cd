"""Background tasks: queued at the commit, run by a worker, failures listed and run again."""

import os
import signal
import smtplib
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alliance.kernel.tasks import fail_abandoned
from members.models import ApplicationStatus, MembershipApplication
from members.services import (
    application_acknowledge,
    application_approve,
    application_tell_decision,
)
from tests.factories import (
    ArticleFactory,
    EndpointFactory,
    MembershipApplicationFactory,
    TierFactory,
)
from tests.helpers import ROOT, run_tasks
from tests.webhooks.receiver import Receiver
from webhooks.models import Delivery, DeliveryState

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
