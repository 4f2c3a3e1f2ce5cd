"""The rules of registration: places, the waiting list, duplicates, cancellation, check-in.

Every decision about a place is taken while holding a lock on the event's
settings row (SELECT ... FOR UPDATE on PostgreSQL; SQLite lets one writer
in at a time anyway): two people registering for the last place at the same
instant are served one after the other, so the capacity holds exactly.
Emails wait for the commit and take ids, never objects.
"""

from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.utils import timezone

from alliance.kernel.tasks import enqueue_on_commit
from members.models import Member

from . import emails
from .models import HOLDS_PLACE, Approval, Registration, RegistrationSettings, Status


class RegistrationClosed(Exception):
    """The form is not open, or the event is full without a waiting list."""


def _locked_settings(event):
    return RegistrationSettings.objects.select_for_update().get(pk=event.pk)


def _has_room(settings):
    if settings.capacity is None:
        return True
    taken = Registration.objects.filter(
        event_id=settings.pk, status__in=HOLDS_PLACE
    ).count()
    return taken < settings.capacity


def member_for(email):
    """The published member whose website is at the address's domain, if any."""
    domain = email.rpartition("@")[2].lower().strip()
    if not domain:
        return None
    for member in (
        Member.objects.published()
        .filter(website__icontains=domain)
        .only("pk", "website")
    ):
        host = (urlsplit(member.website).hostname or "").lower().removeprefix("www.")
        if host == domain or domain.endswith("." + host):
            return member
    return None


def register(*, event, data, answers, language, site_url):
    """Register someone; return (registration, created).

    A second registration for the same address and event is not made:
    the first one is returned with created=False, and its owner (only the
    owner, by email) is reminded of it. The status depends on the room
    left, the waiting list and the approval rule.
    """
    email = data["email"].strip().lower()
    member = member_for(email)
    try:
        with transaction.atomic():
            settings = _locked_settings(event)
            if settings.state() != "open":
                raise RegistrationClosed
            existing = (
                Registration.objects.active()
                .filter(event=event, email=email, anonymized_at__isnull=True)
                .first()
            )
            if existing:
                enqueue_on_commit(emails.send, existing.pk, "reminder", site_url)
                return existing, False
            if _has_room(settings):
                needs_approval = settings.approval == Approval.ALL or (
                    settings.approval == Approval.NON_MEMBERS and member is None
                )
                status = Status.PENDING if needs_approval else Status.CONFIRMED
            elif settings.waitlist:
                status = Status.WAITLISTED
            else:
                raise RegistrationClosed
            registration = Registration.objects.create(
                event=event,
                status=status,
                email=email,
                language=language,
                member=member,
                answers=answers,
                **{k: v for k, v in data.items() if k != "email"},
            )
            enqueue_on_commit(emails.send, registration.pk, "new", site_url)
            return registration, True
    except IntegrityError:
        # The same address, at the same instant, from another request.
        existing = (
            Registration.objects.active()
            .filter(event=event, email=email, anonymized_at__isnull=True)
            .first()
        )
        if existing is None:
            raise
        return existing, False


def promote_waitlisted(event, site_url):
    """Give free places to the first on the waiting list, in order. Call under the lock."""
    settings = RegistrationSettings.objects.get(pk=event.pk)
    promoted = []
    while _has_room(settings):
        first = (
            Registration.objects.filter(event=event, status=Status.WAITLISTED)
            .order_by("created_at", "pk")
            .first()
        )
        if first is None:
            break
        first.status = Status.CONFIRMED
        first.save(update_fields=["status", "updated_at"])
        promoted.append(first.pk)
    for pk in promoted:
        enqueue_on_commit(emails.send, pk, "promoted", site_url)
    return promoted


def fill_free_places(event, *, site_url):
    """After the capacity was raised (or removed): the waiting list moves up."""
    with transaction.atomic():
        _locked_settings(event)
        return promote_waitlisted(event, site_url)


def cancel(registration, *, site_url):
    """Cancel a registration; its place goes to the first on the waiting list."""
    with transaction.atomic():
        _locked_settings(registration.event)
        registration.refresh_from_db()
        if registration.status not in (*HOLDS_PLACE, Status.WAITLISTED):
            return []
        registration.status = Status.CANCELLED
        registration.cancelled_at = timezone.now()
        registration.save(update_fields=["status", "cancelled_at", "updated_at"])
        enqueue_on_commit(emails.send, registration.pk, "cancelled", site_url)
        return promote_waitlisted(registration.event, site_url)


def decide(registrations, *, approve, site_url):
    """Approve or decline registrations awaiting approval; a decline frees a place."""
    decided = 0
    for registration in registrations:
        with transaction.atomic():
            _locked_settings(registration.event)
            changed = Registration.objects.filter(
                pk=registration.pk, status=Status.PENDING
            ).update(
                status=Status.CONFIRMED if approve else Status.DECLINED,
                updated_at=timezone.now(),
            )
            if not changed:
                continue
            decided += 1
            enqueue_on_commit(emails.send, registration.pk, "decision", site_url)
            if not approve:
                promote_waitlisted(registration.event, site_url)
    return decided


class CheckIn:
    """What the door sees after a scan: 'checked_in', 'already' (with the time) or 'unknown'."""

    def __init__(self, result, registration=None):
        self.result = result
        self.registration = registration

    @property
    def at(self):
        return self.registration.checked_in_at if self.registration else None


def check_in(event, *, code, user):
    """Check the holder of ticket `code` in, once, however many scan it at the same moment.

    The UPDATE only touches a confirmed registration not yet checked in:
    of two simultaneous scans, the database lets exactly one change the row.
    """
    now = timezone.now()
    changed = Registration.objects.filter(
        event=event,
        code=code,
        status=Status.CONFIRMED,
        checked_in_at__isnull=True,
        anonymized_at__isnull=True,
    ).update(checked_in_at=now, checked_in_by=user)
    registration = Registration.objects.filter(
        event=event, code=code, anonymized_at__isnull=True
    ).first()
    if changed:
        return CheckIn("checked_in", registration)
    if registration and registration.status == Status.CONFIRMED:
        return CheckIn("already", registration)
    return CheckIn("unknown", registration)
