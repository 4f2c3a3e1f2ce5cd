"""Member imports too long for one request: uploaded in the admin, run by a worker.

The limits are lowered here so that a "long" file has a few dozen rows;
the admin's form and the worker's task are the real ones.
"""

import datetime
from pathlib import Path

import psycopg
import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.core import mail
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alliance.kernel.tasks import recover_abandoned
from members import admin as members_admin
from members.models import ImportStatus, Member, MemberImport
from members.services import member_import_run
from tests.factories import (
    MemberFactory,
    MemberImportFactory,
    SectorFactory,
    TierFactory,
)
from tests.helpers import (
    CSV_HEADER,
    committed,
    members_xlsx,
    refuse_inserts,
    run_tasks,
    run_worker_batch,
    start_worker,
    worker_database_url,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("database_tasks")]

CSV, XLSX = "0", "1"  # the indexes of MemberAdmin.formats


@pytest.fixture(autouse=True)
def limits(monkeypatch):
    """Ten rows are checked in the request; up to 40 go to the worker."""
    monkeypatch.setattr(members_admin, "ADMIN_ROW_LIMIT", 10)
    monkeypatch.setattr(members_admin, "BACKGROUND_ROW_LIMIT", 40)


@pytest.fixture
def known():
    TierFactory(slug="member")
    SectorFactory(slug="navigation")


@pytest.fixture
def manager(client):
    user = User.objects.create_user(
        "manager",
        email="manager@alliance.example",
        password="a-long-password-123",
        is_staff=True,
    )
    user.groups.add(Group.objects.get(name="Membership managers"))
    client.force_login(user)
    client.user = user
    return client


def rows(count, *, bad=()):
    """CSV rows; the rows numbered in `bad` (from 1) name a tier that does not exist."""
    return [
        [f"m-{n}", f"Member {n}", f"成员 {n}", "gold" if n in bad else "member",
         "navigation", "CN", "published"]
        for n in range(1, count + 1)
    ]  # fmt: skip


def csv_file(rows_, header=CSV_HEADER):
    return header + "".join(",".join(row) + "\n" for row in rows_)


def upload(client, content, *, name="members.csv", file_format=CSV):
    data = content.encode() if isinstance(content, str) else content
    with committed():
        return client.post(
            reverse("admin:members_member_import"),
            {
                "import_file": SimpleUploadedFile(name, data),
                "format": file_format,
                "resource": "0",
            },
            follow=True,
        )


def test_a_long_file_is_imported_by_the_worker_and_the_uploader_is_told(manager, known):
    response = upload(manager, csv_file(rows(25)))
    assert response.status_code == 200
    record = MemberImport.objects.get()
    assert response.redirect_chain == [
        (reverse("admin:members_memberimport_change", args=[record.pk]), 302)
    ]
    html = response.content.decode()
    assert "The file has 25 rows: it is being imported in the background" in html
    assert "Queued" in html and 'http-equiv="refresh"' in html
    assert (record.status, record.rows, record.file_name) == (
        ImportStatus.QUEUED,
        25,
        "members.csv",
    )
    assert record.created_by == manager.user
    # Kept where nothing serves it: private storage, not the media.
    assert record.file.storage is storages["private"]
    assert record.file.storage.exists(record.file.name)
    with pytest.raises(ValueError):
        record.file.url  # noqa: B018
    [queued] = DBTaskResult.objects.filter(status="READY")
    assert queued.task_path == "members.services.member_import_run"
    assert Member.objects.count() == 0  # the request imported nothing

    assert run_tasks() == 2  # the import, then its mail
    record.refresh_from_db()
    assert record.status == ImportStatus.DONE
    assert (record.new, record.updated, record.skipped) == (25, 0, 0)
    assert record.problems == [] and record.finished_at >= record.started_at
    assert Member.objects.filter(slug__startswith="m-").count() == 25
    assert Member.objects.get(slug="m-17").name_zh_hans == "成员 17"
    assert not record.file  # the private contacts do not stay on disk
    assert Member.objects.get(slug="m-3").history.first().history_user == manager.user

    [message] = mail.outbox
    assert message.to == ["manager@alliance.example"]
    assert message.subject == "Member import done: members.csv"
    assert "25 new, 0 updated, 0 unchanged" in message.body
    assert f"/admin/members/memberimport/{record.pk}/change/" in message.body

    page = manager.get(reverse("admin:members_memberimport_change", args=[record.pk]))
    html = page.content.decode()
    assert "Imported: 25 new, 0 updated, 0 unchanged." in html
    assert 'http-equiv="refresh"' not in html and 'name="_save"' not in html


def test_a_long_file_with_bad_rows_imports_nothing_and_lists_them_as_the_dry_run_does(
    manager, known
):
    MemberFactory(slug="m-2", name_en="Kept as it was")
    response = upload(
        manager,
        members_xlsx(rows(30, bad={7, 22})),
        name="members.xlsx",
        file_format=XLSX,
    )
    assert response.status_code == 200
    run_tasks()
    record = MemberImport.objects.get()
    assert record.status == ImportStatus.FAILED
    assert [(p["row"], p["column"]) for p in record.problems] == [
        (8, "tier"),
        (23, "tier"),
    ]
    assert record.problems[0]["message"] == "Unknown membership tier “gold”."
    assert Member.objects.count() == 1  # nothing imported, nothing changed
    assert Member.objects.get().name_en == "Kept as it was"

    html = manager.get(
        reverse("admin:members_memberimport_change", args=[record.pk])
    ).content.decode()
    assert "2 problems: nothing was imported" in html
    assert 'class="import-problems"' in html and "<td>23</td>" in html
    [message] = mail.outbox
    assert message.subject == "Member import failed: members.xlsx"
    assert "row 8, tier: Unknown membership tier “gold”." in message.body


def test_the_import_is_run_once_however_often_its_task_runs(manager, known):
    upload(manager, csv_file(rows(12)))
    record = MemberImport.objects.get()
    assert run_tasks() == 2
    site = "http://testserver"
    assert member_import_run.call(import_id=record.pk, site_url=site) is False
    assert Member.objects.count() == 12 and len(mail.outbox) == 1


@pytest.fixture
def refused_imports():
    """The database refuses to store a member import."""
    refuse_inserts(MemberImport._meta.db_table)


def private_files():
    root = Path(storages["private"].location)
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_an_upload_whose_record_is_not_stored_leaves_no_file_behind(
    manager, known, refused_imports
):
    manager.raise_request_exception = False
    response = upload(manager, csv_file(rows(25)))
    assert response.status_code == 500
    assert private_files() == []
    assert not MemberImport.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_a_short_file_keeps_the_dry_run_in_the_request(manager, known):
    response = upload(manager, csv_file(rows(10)))
    assert response.context["confirm_form"] is not None
    assert not MemberImport.objects.exists()
    assert not DBTaskResult.objects.exists()


@pytest.mark.parametrize(
    ("content", "file_format", "message"),
    [
        (csv_file(rows(41)), CSV, "This file has 41 rows; the admin imports at most 40"),
        (
            csv_file([row[:3] for row in rows(20)], "slug,name_en,teir\n"),
            CSV,
            "Unknown columns: “teir”. The columns are: slug, status, name_en",
        ),
        (
            csv_file([row[1:] for row in rows(20)], "name_en,name_zh_hans,tier,sectors,country,status\n"),
            CSV,
            "The file has no “slug” column.",
        ),
        ("", CSV, "The submitted file is empty."),
        (CSV_HEADER, CSV, "No valid data to import."),
        (members_xlsx(rows(20)), CSV, "Ensure you have chosen the correct format"),
        (b"\x89PNG\r\n\x1a\n not a spreadsheet", XLSX, "Ensure you have chosen the correct format"),
    ],
    ids=["too-many-rows", "unknown-column", "no-slug", "empty", "header-only",
         "xlsx-as-csv", "not-a-spreadsheet"],
)  # fmt: skip
def test_bad_files_are_refused_with_a_message_and_nothing_is_queued(
    manager, known, content, file_format, message
):
    response = upload(manager, content, file_format=file_format)
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html, html[html.find("errorlist") - 200 :][:1500]
    assert not MemberImport.objects.exists()
    assert not DBTaskResult.objects.exists()
    assert Member.objects.count() == 0


@pytest.mark.parametrize(
    ("dimension", "rows_"), [("A1:G6", 41), ("A1:G1048576", 41), (None, 41)]
)
def test_an_xlsx_file_over_the_row_limit_is_refused_whatever_size_its_sheet_states(
    manager, known, dimension, rows_
):
    # The sheet's stated size is written by whatever program saved it;
    # the rows are counted to the last one the sheet holds.
    response = upload(
        manager,
        members_xlsx(rows(rows_), dimension=dimension),
        name="members.xlsx",
        file_format=XLSX,
    )
    assert "This file has 41 rows; the admin imports at most 40" in (
        response.content.decode()
    )
    assert not MemberImport.objects.exists()
    assert not DBTaskResult.objects.exists()


def test_an_xlsx_file_that_states_too_small_a_size_is_imported_to_its_last_row(
    manager, known
):
    # It says 5 rows (the dry run in the request) and holds 25 (the worker's).
    response = upload(
        manager,
        members_xlsx(rows(25), dimension="A1:G6"),
        name="members.xlsx",
        file_format=XLSX,
    )
    assert "The file has 25 rows: it is being imported" in response.content.decode()
    assert MemberImport.objects.get().rows == 25
    run_tasks()
    assert MemberImport.objects.get().new == 25
    assert Member.objects.filter(slug__startswith="m-").count() == 25


def test_an_xlsx_file_that_states_too_large_a_size_has_its_dry_run_in_the_request(
    manager, known
):
    response = upload(
        manager,
        members_xlsx(rows(8), dimension="A1:G1048576"),
        name="members.xlsx",
        file_format=XLSX,
    )
    assert response.context["confirm_form"] is not None
    assert response.context["result"].totals["new"] == 8
    assert not MemberImport.objects.exists()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    manager, known, monkeypatch
):
    monkeypatch.setattr(members_admin, "BACKGROUND_MEGABYTES", 0.001)  # 1 KB
    response = upload(manager, csv_file(rows(30)))
    assert "This file is larger than 0.001 MB" in response.content.decode()
    assert "manage.py import_members FILE --dry-run" in response.content.decode()
    assert not MemberImport.objects.exists()


def test_only_those_who_may_import_see_the_imports_and_nobody_changes_them(
    client, manager, django_user_model
):
    record = MemberImportFactory(created_by=manager.user)
    changelist = reverse("admin:members_memberimport_changelist")
    change = reverse("admin:members_memberimport_change", args=[record.pk])
    assert manager.get(changelist).status_code == 200
    assert manager.get(change).status_code == 200
    assert manager.post(change, {"status": "queued"}).status_code == 403
    delete = reverse("admin:members_memberimport_delete", args=[record.pk])
    assert manager.post(delete, {"post": "yes"}).status_code == 403

    editor = django_user_model.objects.create_user("ed", password="pw", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))  # may view members only
    client.force_login(editor)
    assert client.get(changelist).status_code == 403
    assert client.get(change).status_code == 403
    run_again_url = reverse("admin:members_memberimport_run_again", args=[record.pk])
    assert client.post(run_again_url).status_code == 403
    long_file = SimpleUploadedFile("members.csv", csv_file(rows(25)).encode())
    response = client.post(
        reverse("admin:members_member_import"),
        {"import_file": long_file, "format": CSV, "resource": "0"},
    )
    assert response.status_code == 403
    assert MemberImport.objects.count() == 1


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_a_worker_process_imports_the_file_the_admin_kept(
    admin_client, settings, known
):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share: PostgreSQL")
    response = upload(admin_client, csv_file(rows(25)))
    assert response.status_code == 200
    record = MemberImport.objects.get()
    assert record.status == ImportStatus.QUEUED
    worker = run_worker_batch(
        TASKS_BACKEND="database",
        PRIVATE_ROOT=str(settings.PRIVATE_ROOT),
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        DJANGO_DEBUG="true",
    )
    assert worker.returncode == 0, worker.stdout + worker.stderr
    record.refresh_from_db()
    assert record.status == ImportStatus.DONE, record.problems
    assert (record.new, record.updated, record.skipped) == (25, 0, 0)
    assert Member.objects.filter(slug__startswith="m-").count() == 25
    assert not record.file
    # The mail of the result, sent by the worker (console backend).
    assert "Member import done: members.csv" in worker.stdout + worker.stderr


# --- An import whose worker was killed ---------------------------------------

LATER = datetime.timedelta(minutes=61)  # past MEMBER_IMPORT_ABANDONED_MINUTES


def change_page(client, record):
    return client.get(
        reverse("admin:members_memberimport_change", args=[record.pk])
    ).content.decode()


def run_again(client, record):
    with committed():
        return client.post(
            reverse("admin:members_memberimport_run_again", args=[record.pk]),
            follow=True,
        )


def test_an_import_is_taken_as_abandoned_after_the_time_an_import_may_run(settings):
    settings.MEMBER_IMPORT_ABANDONED_MINUTES = 60
    now = timezone.now()
    records = {
        "running an hour and more": MemberImportFactory(
            status=ImportStatus.RUNNING, started_at=now - LATER
        ),
        "running for 59 minutes": MemberImportFactory(
            status=ImportStatus.RUNNING, started_at=now - datetime.timedelta(minutes=59)
        ),
        "queued long ago": MemberImportFactory(
            status=ImportStatus.QUEUED, created_at=now - LATER
        ),
        "failed long ago": MemberImportFactory(
            status=ImportStatus.FAILED, started_at=now - LATER
        ),
        "done long ago": MemberImportFactory(started_at=now - LATER),
    }
    abandoned = {"running an hour and more"}
    assert set(MemberImport.objects.abandoned()) == {records[k] for k in abandoned}
    assert {k for k, record in records.items() if record.is_abandoned} == abandoned


def test_an_abandoned_import_is_shown_interrupted_and_run_again_from_the_list(
    manager, known
):
    upload(manager, csv_file(rows(25)))
    record = MemberImport.objects.get()
    # A worker takes the import and is killed while it runs: the task and
    # the import stay marked running.
    [result] = DBTaskResult.objects.all()
    result.claim("killed-worker")
    MemberImport.objects.update(status=ImportStatus.RUNNING, started_at=timezone.now())
    changelist = reverse("admin:members_memberimport_changelist")
    assert "Interrupted" not in manager.get(changelist).content.decode()

    with time_machine.travel(timezone.now() + LATER):
        html = manager.get(changelist).content.decode()
        assert '<td class="field-import_status">Interrupted</td>' in html
        with committed():
            response = manager.post(
                changelist,
                {"action": "run_again", "_selected_action": [record.pk]},
                follow=True,
            )
        assert "1 import is queued again." in response.content.decode()
    result.refresh_from_db()
    assert result.status == "FAILED"
    assert result.exception_class_path == "alliance.kernel.tasks.WorkerLost"
    record.refresh_from_db()
    assert record.status == ImportStatus.QUEUED

    assert run_tasks() == 2  # the import again, then its mail
    record.refresh_from_db()
    assert (record.status, record.new) == (ImportStatus.DONE, 25)
    assert Member.objects.filter(slug__startswith="m-").count() == 25
    assert mail.outbox[0].subject == "Member import done: members.csv"


def test_an_import_still_within_its_time_or_finished_is_not_run_again(manager, known):
    upload(manager, csv_file(rows(25)))
    record = MemberImport.objects.get()
    MemberImport.objects.update(status=ImportStatus.RUNNING, started_at=timezone.now())
    response = run_again(manager, record)
    assert "Only an interrupted import can be run again." in response.content.decode()
    assert 'value="Run the import again"' not in response.content.decode()
    record.refresh_from_db()
    assert record.status == ImportStatus.RUNNING
    assert DBTaskResult.objects.count() == 1
    assert (
        manager.get(
            reverse("admin:members_memberimport_run_again", args=[record.pk])
        ).status_code
        == 405
    )


def test_an_import_a_worker_failed_as_lost_runs_again_from_the_task_results(
    manager, known, admin_client
):
    upload(manager, csv_file(rows(25)))
    record = MemberImport.objects.get()
    [result] = DBTaskResult.objects.all()
    result.claim("killed-worker")
    MemberImport.objects.update(status=ImportStatus.RUNNING, started_at=timezone.now())

    with time_machine.travel(timezone.now() + LATER):
        # A worker finds the run past the import's limit: failed, not rerun.
        assert recover_abandoned() == ([], [result])
        assert "Interrupted" in change_page(manager, record)
        response = admin_client.post(
            reverse("admin:django_tasks_database_dbtaskresult_changelist"),
            {"action": "run_again", "_selected_action": [result.pk]},
            follow=True,
        )
        assert "1 task is queued again." in response.content.decode()
        assert run_tasks() == 2  # the import, then its mail
    record.refresh_from_db()
    assert (record.status, record.new) == (ImportStatus.DONE, 25)
    assert mail.outbox[0].subject == "Member import done: members.csv"


# Advisory locks of the test that stops a worker inside an import.
WORKER_IN_IMPORT, TWENTIETH_MEMBER = 7001, 7002


@pytest.fixture
def worker_stopped_at_the_twentieth_member():
    """A worker running an import stops before adding the member `m-20`, and says so.

    When an import starts running, its worker's session takes the lock
    WORKER_IN_IMPORT and the channel `member_import` hears of it. Before
    adding `m-20` (19 members written in the import's transaction) the
    worker gives that lock up and waits for TWENTIETH_MEMBER, which the test
    holds: taking WORKER_IN_IMPORT, the test waits, without sleeping, until
    the worker is there.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION import_started() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NEW.status = 'running' THEN "
            f"PERFORM pg_advisory_lock({WORKER_IN_IMPORT}); "
            "PERFORM pg_notify('member_import', NEW.id::text); END IF; "
            "RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER import_started AFTER UPDATE ON members_memberimport "
            "FOR EACH ROW EXECUTE FUNCTION import_started()"
        )
        cursor.execute(
            "CREATE FUNCTION twentieth_member() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN IF NEW.slug = 'm-20' THEN "
            f"PERFORM pg_advisory_unlock({WORKER_IN_IMPORT}); "
            f"PERFORM pg_advisory_lock({TWENTIETH_MEMBER}); END IF; "
            "RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER twentieth_member BEFORE INSERT ON members_member "
            "FOR EACH ROW EXECUTE FUNCTION twentieth_member()"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER IF EXISTS import_started ON members_memberimport")
        cursor.execute("DROP TRIGGER IF EXISTS twentieth_member ON members_member")
        cursor.execute("DROP FUNCTION import_started(), twentieth_member()")


@pytest.mark.once
@pytest.mark.django_db(transaction=True)
def test_an_import_whose_worker_is_killed_is_shown_interrupted_and_runs_again(
    admin_client, settings, known, request
):
    if connection.vendor != "postgresql":
        pytest.skip("a worker process needs a database it can share: PostgreSQL")
    request.getfixturevalue("worker_stopped_at_the_twentieth_member")
    environment = {
        "TASKS_BACKEND": "database",
        "PRIVATE_ROOT": str(settings.PRIVATE_ROOT),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_DEBUG": "true",
    }
    upload(admin_client, csv_file(rows(25)))
    record = MemberImport.objects.get()
    with psycopg.connect(worker_database_url(), autocommit=True) as test:
        test.execute("SET lock_timeout = '120s'")
        test.execute("LISTEN member_import")
        test.execute(f"SELECT pg_advisory_lock({TWENTIETH_MEMBER})")
        worker = start_worker(**environment)
        try:
            notices = list(test.notifies(timeout=120, stop_after=1))
            # Until the worker has written 19 members and waits before the 20th.
            test.execute(f"SELECT pg_advisory_lock({WORKER_IN_IMPORT})")
        finally:
            worker.kill()  # SIGKILL, as the kernel's out-of-memory killer sends
            worker.wait()
    assert [notice.payload for notice in notices] == [str(record.pk)]
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER twentieth_member ON members_member")

    record.refresh_from_db()
    assert record.status == ImportStatus.RUNNING
    [lost] = DBTaskResult.objects.all()
    assert lost.status == "RUNNING"
    assert Member.objects.count() == 0  # the 19 written died with its transaction
    html = change_page(admin_client, record)
    assert "Running" in html and 'value="Run the import again"' not in html

    with time_machine.travel(timezone.now() + LATER):
        html = change_page(admin_client, record)
        assert "Interrupted" in html
        assert (
            "The import was interrupted: it has been running for more than 60" in html
        )
        assert 'http-equiv="refresh"' not in html
        response = run_again(admin_client, record)
    assert "The import is queued again." in response.content.decode()
    lost.refresh_from_db()
    assert lost.status == "FAILED"
    assert "The worker running this task stopped before it ended" in lost.traceback

    worker = run_worker_batch(**environment)
    assert worker.returncode == 0, worker.stdout + worker.stderr
    record.refresh_from_db()
    assert record.status == ImportStatus.DONE, record.problems
    assert (record.new, record.updated, record.skipped) == (25, 0, 0)
    assert Member.objects.filter(slug__startswith="m-").count() == 25
    assert not record.file
    assert "Member import done: members.csv" in worker.stdout + worker.stderr
