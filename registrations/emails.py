"""Every email about a registration, in the registrant's language.

Each is a background task taking ids and strings (alliance/kernel/tasks.py),
enqueued when the transaction commits. The registration is stored whatever
happens here: a failing mail server fails the task, which the admin lists
with its error, to be run again.
"""

import io
import logging
from urllib.parse import urlsplit

import segno
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from alliance.kernel import ical
from alliance.kernel.tasks import task

from .models import Registration, Status

logger = logging.getLogger(__name__)


def ticket_png(token):
    """The ticket's QR code as a PNG: the signed token and nothing else."""
    buffer = io.BytesIO()
    segno.make(token, error="m").save(buffer, kind="png", scale=8, border=4)
    return buffer.getvalue()


def ticket_svg(token):
    """The same QR code, as SVG for a page."""
    return segno.make(token, error="m").svg_inline(
        scale=6, border=4, dark="#072646", svgclass="ticket__qr"
    )


def _site_name():
    if translation.get_language() == "zh-hans":
        return getattr(settings, "SITE_NAME_ZH_HANS", "") or settings.SITE_NAME
    return settings.SITE_NAME


def _subject(text):
    return " ".join(str(text).split())


def _send(registration_id, *, what, subject, site_url, attach_ticket=False):
    registration = (
        Registration.objects.select_related("event")
        .filter(pk=registration_id, anonymized_at__isnull=True)
        .first()
    )
    if registration is None:
        return
    event = registration.event
    try:
        with translation.override(registration.language):
            context = {
                "registration": registration,
                "event": event,
                "site_name": _site_name(),
                "manage_url": site_url + registration.get_manage_url(),
                "event_url": site_url + event.get_absolute_url(),
                "what": what,
            }
            message = EmailMultiAlternatives(
                subject=_subject(subject() % {"event": event.name}),
                body=render_to_string("registrations/email/registration.txt", context),
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[registration.email],
            )
            if attach_ticket and registration.status == Status.CONFIRMED:
                host = urlsplit(site_url).hostname or "localhost"
                message.attach(
                    f"{event.slug}.ics",
                    ical.event_calendar(
                        event, url=context["event_url"], host=host
                    ).decode(),
                    "text/calendar",
                )
                message.attach(
                    "ticket.png", ticket_png(registration.ticket_token), "image/png"
                )
            message.send()
    except Exception:
        logger.exception(
            "Could not send the %s of registration %s", what, registration_id
        )
        raise


@task
def send_confirmation(registration_id, site_url):
    """The answer to a new registration: confirmed (with ticket), awaiting approval, or waitlisted."""
    _send(
        registration_id,
        what="new",
        subject=lambda: _("Your registration for %(event)s"),
        site_url=site_url,
        attach_ticket=True,
    )


@task
def send_reminder(registration_id, site_url):
    """Someone tried to register the address again: remind its owner of the first registration."""
    _send(
        registration_id,
        what="reminder",
        subject=lambda: _("You are already registered for %(event)s"),
        site_url=site_url,
        attach_ticket=True,
    )


@task
def send_promotion(registration_id, site_url):
    """A place came free: the registrant moves from the waiting list to confirmed."""
    _send(
        registration_id,
        what="promoted",
        subject=lambda: _("A place is yours: %(event)s"),
        site_url=site_url,
        attach_ticket=True,
    )


@task
def send_decision(registration_id, site_url):
    """Approved (with ticket) or declined."""
    _send(
        registration_id,
        what="decision",
        subject=lambda: _("Your registration for %(event)s"),
        site_url=site_url,
        attach_ticket=True,
    )


@task
def send_cancellation(registration_id, site_url):
    _send(
        registration_id,
        what="cancelled",
        subject=lambda: _("Your registration for %(event)s is cancelled"),
        site_url=site_url,
    )


@task
def send_change(registration_id, site_url):
    _send(
        registration_id,
        what="changed",
        subject=lambda: _("Your registration for %(event)s was changed"),
        site_url=site_url,
        attach_ticket=True,
    )
