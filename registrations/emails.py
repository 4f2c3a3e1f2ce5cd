"""Every email about a registration, in the registrant's language.

Each is a background task taking ids and strings (alliance/kernel/tasks.py),
enqueued when the transaction commits. The registration is stored whatever
happens here: a failing mail server fails the task, which the admin lists
with its error, to be run again. So does a worker that dies while it sends
(`WorkerLost`): the mail may have gone out just before, so it is not sent
again unless someone chooses to.
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
from django.utils.translation import gettext_noop

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


# What each mail is about: its subject, and whether it carries the ticket.
# The subjects are translated when sent, in the registrant's language.
MAILS = {
    # A new registration: confirmed (with ticket), awaiting approval, or waitlisted.
    "new": (gettext_noop("Your registration for %(event)s"), True),
    # The address was registered again: its owner is reminded of the first registration.
    "reminder": (gettext_noop("You are already registered for %(event)s"), True),
    # A place came free: from the waiting list to confirmed.
    "promoted": (gettext_noop("A place is yours: %(event)s"), True),
    # Approved (with ticket) or declined.
    "decision": (gettext_noop("Your registration for %(event)s"), True),
    "cancelled": (gettext_noop("Your registration for %(event)s is cancelled"), False),
    "changed": (gettext_noop("Your registration for %(event)s was changed"), True),
}


@task
def send(registration_id, what, site_url):
    """Send the registrant the mail `what` (a key of MAILS) about their registration."""
    subject, attach_ticket = MAILS[what]
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
                subject=_subject(_(subject) % {"event": event.name}),
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
