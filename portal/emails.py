"""The portal's emails: one function each, taking ids and strings.

Each is a background task (alliance/kernel/tasks.py), enqueued when the
transaction commits, so that nobody hears of something that was rolled
back; it writes in the recipient's language. What the mail tells of is
stored whatever happens here: a failing mail server fails the task, which
the admin lists with its error, to be run again. So does a worker that dies
while it sends (`WorkerLost`): the mail may have gone out just before, so
it is not sent again unless someone chooses to.
"""

import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from alliance.kernel.tasks import task
from members.services import single_line

from .models import ChangeRequest, Representative

logger = logging.getLogger(__name__)


def _send(*, what, subject, template, recipients, context):
    try:
        send_mail(
            subject=single_line(subject),
            message=render_to_string(template, context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
        )
    except Exception:
        logger.exception("Could not send the portal's %s", what)
        raise


def site_name():
    """The alliance's name in the active language."""
    if translation.get_language() == "zh-hans":
        return getattr(settings, "SITE_NAME_ZH_HANS", "") or settings.SITE_NAME
    return settings.SITE_NAME


def set_password_url(user, site_url):
    """A signed link to choose a password, valid for PASSWORD_RESET_TIMEOUT seconds.

    Django's own token: it stops working once the password is set, when the
    user signs in, or when it expires.
    """
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("portal:set-password", kwargs={"uidb64": uid, "token": token})
    return f"{site_url.rstrip('/')}{path}"


def _valid_days():
    return max(1, settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60))


@task
def send_invitation(*, representative_id, site_url):
    """Invite a representative to choose a password and sign in to the portal."""
    representative = (
        Representative.objects.select_related("user", "member")
        .filter(pk=representative_id)
        .first()
    )
    if representative is None:
        return
    with translation.override(representative.language):
        _send(
            what="invitation",
            subject=_("You are invited to keep %(member)s's profile on %(site)s")
            % {"member": representative.member.name, "site": site_name()},
            template="portal/email/invitation.txt",
            recipients=[representative.user.email],
            context={
                "member": representative.member,
                "site_name": site_name(),
                "url": set_password_url(representative.user, site_url),
                "login_url": site_url.rstrip("/") + reverse("portal:login"),
                "days": _valid_days(),
            },
        )


@task
def send_password_reset(*, user_id, site_url):
    """Send a representative a link to choose a new password."""
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return
    representative = Representative.objects.of_user(user).first()
    language = representative.language if representative else settings.LANGUAGE_CODE
    with translation.override(language):
        _send(
            what="password reset",
            subject=_("Choose a new password for %(site)s") % {"site": site_name()},
            template="portal/email/password_reset.txt",
            recipients=[user.email],
            context={
                "site_name": site_name(),
                "url": set_password_url(user, site_url),
                "days": _valid_days(),
            },
        )


@task
def send_managers_notice(*, change_request_id, site_url):
    """Tell the membership managers that a request waits for review."""
    change_request = (
        ChangeRequest.objects.select_related("member")
        .filter(pk=change_request_id)
        .first()
    )
    if change_request is None:
        return
    with translation.override(settings.LANGUAGE_CODE):
        _send(
            what="notice to the managers",
            subject=_("Change request to review: %(member)s")
            % {"member": change_request.member.name},
            template="portal/email/request_received.txt",
            recipients=settings.MEMBERSHIP_NOTIFY_EMAILS,
            context={
                "change_request": change_request,
                "admin_url": site_url.rstrip("/")
                + reverse(
                    "admin:portal_changerequest_change", args=[change_request.pk]
                ),
            },
        )


@task
def send_decision(*, change_request_id, site_url):
    """Tell the representative who made a request that it was approved or rejected."""
    change_request = (
        ChangeRequest.objects.select_related("member", "submitted_by")
        .filter(pk=change_request_id)
        .first()
    )
    if change_request is None or change_request.submitted_by is None:
        return
    with translation.override(change_request.language):
        _send(
            what="decision",
            subject=_("Your request about %(member)s: %(status)s")
            % {
                "member": change_request.member.name,
                "status": change_request.get_status_display(),
            },
            template="portal/email/decision.txt",
            recipients=[change_request.submitted_by.email],
            context={
                "change_request": change_request,
                "site_name": site_name(),
                "portal_url": site_url.rstrip("/") + reverse("portal:home"),
            },
        )
