"""Writes that span models or reach outside: applications, notifications."""

import logging

from django.conf import settings
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import ApplicationStatus, Member, MembershipApplication, Tier

logger = logging.getLogger(__name__)


def single_line(text):
    """Collapse every run of whitespace, line breaks included, into one space.

    A mail header holding a line break is refused (or, worse, read as a
    second header), and str.split() knows every Unicode line break.
    """
    return " ".join(str(text).split())


@transaction.atomic
def application_submit(*, form, site_url):
    """Store the application of a valid join form, sectors included, then tell the managers.

    The mail waits for the commit: managers never hear of an application that
    was rolled back, and a slow mail server holds no transaction open.
    """
    application = form.save()
    transaction.on_commit(
        lambda: application_notify(application=application, site_url=site_url)
    )
    return application


def application_notify(*, application, site_url):
    """Tell the membership managers that an application arrived.

    The application is stored and listed in the admin whatever happens here,
    so a failing mail server (or any mail backend's error) is logged, never
    shown to the applicant as a failure.
    """
    context = {
        "application": application,
        "admin_url": f"{site_url}/admin/members/membershipapplication/{application.pk}/change/",
    }
    try:
        send_mail(
            subject=single_line(
                _("New application to join: %(name)s")
                % {"name": application.organization_name}
            ),
            message=render_to_string("members/email/application_received.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=settings.MEMBERSHIP_NOTIFY_EMAILS,
        )
    except Exception:
        logger.exception(
            "Could not send the notice of membership application %s", application.pk
        )


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
    member = Member.objects.create(
        slug=_unique_slug(application.short_name or application.organization_name),
        name_en=application.organization_name,
        name=application.organization_name,
        short_name_en=application.short_name,
        website=application.website,
        country=application.country,
        city_en=application.city,
        tier=tier,
        capability_en=application.capability,
        description_en=application.description,
        contact_name=application.contact_name,
        contact_email=application.contact_email,
        contact_phone=application.contact_phone,
        joined_on=timezone.localdate(),
        internal_notes=_("Created from the application of %(date)s.")
        % {"date": application.created_at.date()},
    )
    member.sectors.set(application.sectors.all())
    application.status = ApplicationStatus.APPROVED
    application.reviewed_by = reviewed_by
    application.reviewed_at = timezone.now()
    application.member = member
    application.save()
    _log(reviewed_by, member, ADDITION, _("Created from an approved application."))
    _log(reviewed_by, application, CHANGE, _("Approved."))
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
    return application
