"""Writes that span models or reach outside: applications, notifications."""

import dataclasses
import datetime
import logging

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from alliance.kernel import translated
from alliance.kernel.private_files import deleted_unless_committed
from alliance.kernel.tasks import enqueue_on_commit, fail_abandoned, task

from .models import (
    ApplicationStatus,
    ImportStatus,
    Member,
    MemberImport,
    MembershipApplication,
    Tier,
)
from .resources import MemberResource, Problem, import_problems
from .spreadsheets import SafeCSV, SafeXLSX

logger = logging.getLogger(__name__)


def single_line(text):
    """Collapse every run of whitespace, line breaks included, into one space.

    A mail header holding a line break is refused (or, worse, read as a
    second header), and str.split() knows every Unicode line break.
    """
    return " ".join(str(text).split())


@transaction.atomic
def application_submit(*, form, site_url, language=None):
    """Store the application of a valid join form, sectors included; tell the managers and the applicant.

    `language` is the language of the form (the request's); the applicant's
    emails are written in it. The mails are background tasks queued at the
    commit: nobody hears of an application that was rolled back, and a slow
    or failing mail server never touches the applicant's request.
    """
    application = form.save(commit=False)
    application.language = language or translation.get_language() or "en"
    application.save()
    form.save_m2m()
    enqueue_on_commit(
        application_notify, application_id=application.pk, site_url=site_url
    )
    enqueue_on_commit(application_acknowledge, application_id=application.pk)
    return application


def _send(*, application, what, subject, template, recipients, context=None):
    """Send one mail about an application; a failure is logged and fails the task.

    The application is stored and listed in the admin whatever happens
    here; a failed mail is a failed task, listed in the admin with its
    error, to be run again once the mail server is back. A mail task whose
    worker died is failed too (`WorkerLost`), never sent again by itself:
    the mail may have gone out just before the worker stopped.
    """
    try:
        send_mail(
            subject=single_line(subject),
            message=render_to_string(
                template, {"application": application, **(context or {})}
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
    except Exception:
        logger.exception(
            "Could not send the %s of membership application %s", what, application.pk
        )
        raise


@task
def application_notify(*, application_id, site_url):
    """Tell the membership managers that an application arrived, in the site's language."""
    application = MembershipApplication.objects.get(pk=application_id)
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            application=application,
            what="notice",
            subject=_("New application to join: %(name)s")
            % {"name": application.organization_name},
            template="members/email/application_received.txt",
            recipients=settings.MEMBERSHIP_NOTIFY_EMAILS,
            context={
                "admin_url": f"{site_url}/admin/members/membershipapplication/{application.pk}/change/",
            },
        )


@task
def application_acknowledge(*, application_id):
    """Send the applicant a receipt, in the language they applied in."""
    application = MembershipApplication.objects.get(pk=application_id)
    with translation.override(application.language):
        _send(
            application=application,
            what="receipt",
            subject=_("We received your application to join %(site)s")
            % {"site": _site_name()},
            template="members/email/application_receipt.txt",
            recipients=[application.contact_email],
            context={"site_name": _site_name()},
        )


@task
def application_tell_decision(*, application_id):
    """Tell the applicant that their application was approved or rejected (and why)."""
    application = MembershipApplication.objects.get(pk=application_id)
    approved = application.status == ApplicationStatus.APPROVED
    with translation.override(application.language):
        subject = (
            _("Your application to join %(site)s was approved")
            if approved
            else _("Your application to join %(site)s")
        ) % {"site": _site_name()}
        _send(
            application=application,
            what="decision",
            subject=subject,
            template="members/email/application_decision.txt",
            recipients=[application.contact_email],
            context={"site_name": _site_name(), "approved": approved},
        )


def _site_name():
    """The alliance's name in the active language."""
    if translation.get_language() == "zh-hans":
        return getattr(settings, "SITE_NAME_ZH_HANS", "") or settings.SITE_NAME
    return settings.SITE_NAME


def _unique_slug(name):
    base = slugify(name)[:100] or "member"
    slug, n = base, 2
    while Member.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _log(user, obj, flag, message):
    """Record the change in the object's admin history, with its author."""
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[obj],
        action_flag=flag,
        change_message=message,
        single_object=True,
    )


@transaction.atomic
def application_approve(*, application, reviewed_by):
    """Create an unpublished member prefilled from the application, and link it."""
    application = MembershipApplication.objects.select_for_update().get(
        pk=application.pk
    )
    if application.status != ApplicationStatus.PENDING:
        raise ValidationError(_("Only a pending application can be approved."))
    tier = application.tier_requested or Tier.objects.order_by("-order").first()
    if tier is None:
        raise ValidationError(
            _("Create a membership tier before approving applications.")
        )
    # The text goes into the fields of the language the applicant wrote in;
    # the other language's are left for the secretariat to fill in (the
    # member list flags members whose English is missing).
    language = application.language if application.language == "zh-hans" else "en"
    text = {
        translated.column(name, language): value
        for name, value in (
            ("name", application.organization_name),
            ("short_name", application.short_name),
            ("city", application.city),
            ("capability", application.capability),
            ("description", application.description),
        )
    }
    member = Member.objects.create(
        slug=_unique_slug(application.short_name or application.organization_name),
        website=application.website,
        country=application.country,
        tier=tier,
        contact_name=application.contact_name,
        contact_email=application.contact_email,
        contact_phone=application.contact_phone,
        joined_on=timezone.localdate(),
        internal_notes=_("Created from the application of %(date)s.")
        % {"date": application.created_at.date()},
        **text,
    )
    member.sectors.set(application.sectors.all())
    application.status = ApplicationStatus.APPROVED
    application.reviewed_by = reviewed_by
    application.reviewed_at = timezone.now()
    application.member = member
    application.save()
    _log(reviewed_by, member, ADDITION, _("Created from an approved application."))
    _log(reviewed_by, application, CHANGE, _("Approved."))
    enqueue_on_commit(application_tell_decision, application_id=application.pk)
    return member


@transaction.atomic
def application_reject(*, application, reviewed_by, reason):
    """Reject a pending application, recording why."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Give a reason for the rejection."))
    application = MembershipApplication.objects.select_for_update().get(
        pk=application.pk
    )
    if application.status != ApplicationStatus.PENDING:
        raise ValidationError(_("Only a pending application can be rejected."))
    application.status = ApplicationStatus.REJECTED
    application.rejection_reason = reason
    application.reviewed_by = reviewed_by
    application.reviewed_at = timezone.now()
    application.save()
    _log(
        reviewed_by, application, CHANGE, _("Rejected: %(reason)s") % {"reason": reason}
    )
    enqueue_on_commit(application_tell_decision, application_id=application.pk)
    return application


# --- Imports too long for one request ---------------------------------------

# The formats of a queued import, by the name it records: the admin's, read as it reads them.
IMPORT_FORMATS = {"csv": SafeCSV, "xlsx": SafeXLSX}


def read_import_file(data, file_format):
    """A tablib dataset of a CSV (UTF-8) or XLSX file's bytes; ValueError if unreadable."""
    input_format = IMPORT_FORMATS[file_format]()
    try:
        return input_format.create_dataset(
            data if input_format.is_binary() else data.decode("utf-8-sig")
        )
    except Exception as error:
        raise ValueError(
            _("The file cannot be read as %(format)s.")
            % {"format": file_format.upper()}
        ) from error


def member_import_queue(*, upload, file_format, rows, user, site_url, language):
    """Keep an uploaded spreadsheet in private storage and have a worker import it.

    The import starts once this transaction commits; the uploader is told
    the result by mail and sees it in the admin (`MemberImport`). If the
    record is not committed, the file is deleted again.
    """
    record = MemberImport(
        file_name=upload.name[:255],
        file_format=file_format,
        rows=rows,
        created_by=user,
        language=language or "en",
    )
    upload.seek(0)
    record.file.save(upload.name, upload, save=False)
    with deleted_unless_committed(record.file):
        record.save()
        enqueue_on_commit(member_import_run, import_id=record.pk, site_url=site_url)
    return record


# The one long task: MEMBER_IMPORT_ABANDONED_MINUTES for a run. A run lost
# with its worker is failed, not run again: its record stays marked running
# (shown "Interrupted"), and an import that ran the worker out of memory
# would do it again; the manager runs it again (`member_import_run_again`).
@task(max_run_time=datetime.timedelta(minutes=settings.MEMBER_IMPORT_ABANDONED_MINUTES))
def member_import_run(*, import_id, site_url):
    """Import a queued spreadsheet of members, all of it or nothing, and record the result.

    The checks are the admin's (`MemberResource`): a file with any bad row
    imports nothing, and its problems are recorded as the dry run lists
    them. Run twice, it imports once: only a queued import is taken (or a
    failed one whose file is still there: it stopped on an error of the
    site, not of the file; or an interrupted one, whose worker died: both
    may be run again from the failed tasks).
    The file, which holds private contacts, is deleted once the result is
    recorded.
    """
    taken = (
        MemberImport.objects.filter(pk=import_id)
        .filter(
            Q(status=ImportStatus.QUEUED)
            | Q(status=ImportStatus.FAILED, problems=[], file__gt="")
            | Q(pk__in=MemberImport.objects.abandoned().values("pk"))
        )
        .update(status=ImportStatus.RUNNING, started_at=timezone.now())
    )
    if not taken:
        return False
    record = MemberImport.objects.select_related("created_by").get(pk=import_id)
    try:
        with record.file.open("rb") as file:
            data = file.read()
        dataset = read_import_file(data, record.file_format)
    except (OSError, ValueError) as error:
        _import_finish(record, site_url, problems=[Problem(None, "", str(error))])
        return False
    resource = MemberResource(history_user=record.created_by)
    try:
        result = resource.import_data(
            dataset,
            dry_run=False,
            raise_errors=False,
            use_transactions=True,
            user=record.created_by,
        )
    except Exception:
        # An error of the site, not of the file: the task fails (listed in
        # the admin, to run again), and the record says so meanwhile.
        MemberImport.objects.filter(pk=record.pk).update(
            status=ImportStatus.FAILED, finished_at=timezone.now()
        )
        logger.exception("Member import %s stopped on an error", record.pk)
        raise
    _import_finish(
        record, site_url, problems=import_problems(result, resource), result=result
    )
    return record.status == ImportStatus.DONE


@transaction.atomic
def member_import_run_again(*, record, site_url):
    """Queue again an import whose worker stopped while it ran; answer whether it was.

    Only an abandoned import is taken (`MemberImport.objects.abandoned()`):
    one that is running within the time an import takes, or that ended,
    is left alone. Running it again is safe: the import is one transaction,
    rolled back with the worker's connection when the worker died, and its
    file is kept until a result is recorded (had the worker died between
    the import's commit and the record's, the rows, matched on slug, come
    back unchanged). The task run the worker left marked running is
    recorded as failed (the worker was lost), unless a worker did so
    already (`tasks.recover_abandoned`), and the import is queued as a new
    task.
    """
    taken = (
        MemberImport.objects.abandoned()
        .filter(pk=record.pk)
        .update(status=ImportStatus.QUEUED, started_at=None, finished_at=None)
    )
    if not taken:
        return False
    fail_abandoned(member_import_run, import_id=record.pk)
    enqueue_on_commit(member_import_run, import_id=record.pk, site_url=site_url)
    return True


def _import_finish(record, site_url, *, problems, result=None):
    record.problems = [dataclasses.asdict(problem) for problem in problems]
    if problems or result is None:
        record.status = ImportStatus.FAILED
    else:
        record.status = ImportStatus.DONE
        record.new = result.totals["new"]
        record.updated = result.totals["update"]
        record.skipped = result.totals["skip"]
    record.finished_at = timezone.now()
    if record.file:
        record.file.delete(save=False)
    record.save()
    enqueue_on_commit(member_import_tell, import_id=record.pk, site_url=site_url)


@task
def member_import_tell(*, import_id, site_url):
    """Tell the uploader how their import ended, in the language they uploaded in.

    Like every mail, failed rather than sent again if its worker dies (`_send`).
    """
    record = MemberImport.objects.select_related("created_by").get(pk=import_id)
    user = record.created_by
    if user is None or not user.email:
        return False
    with translation.override(record.language):
        subject = (
            _("Member import done: %(file)s")
            if record.status == ImportStatus.DONE
            else _("Member import failed: %(file)s")
        ) % {"file": record.file_name}
        send_mail(
            subject=single_line(subject),
            message=render_to_string(
                "members/email/member_import_result.txt",
                {
                    "record": record,
                    "problems": record.problems[:MAILED_PROBLEMS],
                    "more_problems": max(0, len(record.problems) - MAILED_PROBLEMS),
                    "admin_url": f"{site_url}/admin/members/memberimport/{record.pk}/change/",
                },
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    return True


# A mail lists this many problems; the admin shows every one.
MAILED_PROBLEMS = 20
