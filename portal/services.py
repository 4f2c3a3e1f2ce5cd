"""Writes of the portal: invitations, change requests and their review."""

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance.kernel.history import history_of
from alliance.kernel.tasks import enqueue_on_commit
from members.models import Member, Sector

from . import emails
from .models import (
    ChangeRequest,
    Representative,
    RequestKind,
    RequestStatus,
    member_values,
)


def _user_for_email(email):
    """The site user with this address, made (without a password) if there is none."""
    User = get_user_model()
    email = User.objects.normalize_email(email).strip()
    user = User.objects.filter(email__iexact=email).order_by("pk").first()
    if user is None:
        user = User(username=email[:150], email=email)
        user.set_unusable_password()
        user.save()
    return user


@transaction.atomic
def representative_invite(*, member, email, language, invited_by, site_url):
    """Make `email` a representative of `member` and send them a link to choose a password.

    Representatives are never staff: an address that belongs to a staff
    account is refused, so that the portal's password reset can never be a
    way into the admin.
    """
    user = _user_for_email(email)
    if user.is_staff or user.is_superuser:
        raise ValidationError(
            _(
                "This address belongs to a staff account; representatives need an "
                "address of their own."
            )
        )
    if Representative.objects.filter(user=user, member=member).exists():
        raise ValidationError(_("This person already represents this member."))
    representative = Representative.objects.create(
        user=user, member=member, language=language, invited_by=invited_by
    )
    enqueue_on_commit(
        emails.send_invitation, representative_id=representative.pk, site_url=site_url
    )
    return representative


def _open_request(member):
    return (
        ChangeRequest.objects.select_for_update()
        .filter(member=member, status=RequestStatus.PENDING)
        .first()
    )


@transaction.atomic
def change_request_submit(
    *, member, user, values, logo=None, note="", language, site_url
):
    """Propose `values` (the editable columns) for `member`; nothing public changes.

    The member's open request, if there is one, is updated instead: one
    open request per member. Its `original` stays the values it was first
    made against, so the review still sees what changed meanwhile.
    """
    # Serialize the member's requests: two tabs submitting at once make one.
    Member.objects.select_for_update().filter(pk=member.pk).first()
    change_request = _open_request(member)
    created = change_request is None
    if created:
        change_request = ChangeRequest(
            member=member, original=member_values(member), submitted_by=user
        )
    change_request.kind = RequestKind.CHANGE
    change_request.proposed = values
    change_request.note = note
    change_request.language = language
    change_request.submitted_by = user
    replaced = change_request.logo.name if logo and change_request.logo else ""
    if logo:
        change_request.logo = logo
    try:
        change_request.save()
    except Exception as error:
        # The proposed logo is written before the row: a row that is not
        # stored leaves nothing naming the file, which is deleted.
        if logo and change_request.logo._committed:
            change_request.logo.delete(save=False)
        if isinstance(error, IntegrityError):
            raise ValidationError(
                _("This member already has a request waiting for review.")
            ) from error
        raise
    if replaced and replaced != change_request.logo.name:
        # A newer logo in the same request: the one it replaces goes, once
        # the request names the new one for good.
        storage = change_request.logo.storage
        transaction.on_commit(lambda: storage.delete(replaced))
    if created:
        enqueue_on_commit(
            emails.send_managers_notice,
            change_request_id=change_request.pk,
            site_url=site_url,
        )
    return change_request


@transaction.atomic
def change_request_verify(*, member, user, language, site_url):
    """Confirm that the profile is still right: a request that moves `last verified on`."""
    Member.objects.select_for_update().filter(pk=member.pk).first()
    if _open_request(member) is not None:
        raise ValidationError(
            _("A request is already waiting for review: edit it, or withdraw it first.")
        )
    change_request = ChangeRequest.objects.create(
        member=member,
        kind=RequestKind.VERIFICATION,
        original=member_values(member),
        submitted_by=user,
        language=language,
    )
    enqueue_on_commit(
        emails.send_managers_notice,
        change_request_id=change_request.pk,
        site_url=site_url,
    )
    return change_request


@transaction.atomic
def change_request_withdraw(*, change_request):
    change_request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if not change_request.is_pending:
        raise ValidationError(_("Only a request waiting for review can be withdrawn."))
    change_request.status = RequestStatus.WITHDRAWN
    change_request.save(update_fields=["status", "updated_at"])
    return change_request


def _log(user, obj, message):
    LogEntry.objects.log_actions(
        user_id=user.pk,
        queryset=[obj],
        action_flag=CHANGE,
        change_message=message,
        single_object=True,
    )


def _pending_for_review(change_request):
    change_request = ChangeRequest.objects.select_for_update().get(pk=change_request.pk)
    if not change_request.is_pending:
        raise ValidationError(_("This request was already reviewed or withdrawn."))
    return change_request


@transaction.atomic
def change_request_approve(
    *, change_request, reviewed_by, message="", overwrite_conflicts=False, site_url
):
    """Apply the request to the member, all fields or none, and keep a version.

    A field the secretariat changed after the request was made is a
    conflict: it is overwritten only when the reviewer says so.
    """
    change_request = _pending_for_review(change_request)
    member = Member.objects.select_for_update().get(pk=change_request.member_id)
    change_request.member = member
    rows = change_request.diff()
    if any(row.conflict for row in rows) and not overwrite_conflicts:
        raise ValidationError(
            _(
                "The member's record changed after this request was made. Check "
                "the conflicts, then approve again saying to overwrite them, or "
                "reject the request."
            )
        )
    sectors = None
    for row in rows:
        if row.column == "sectors":
            sectors = list(Sector.objects.filter(slug__in=row.new))
        elif row.column != "logo":
            setattr(member, row.column, row.new)
    member.last_verified_on = timezone.localdate()
    member.full_clean(exclude=["logo", "slug"], validate_unique=False)
    if any(row.column == "logo" for row in rows):
        # A copy under the member's own folder: the proposal keeps its file.
        with change_request.logo.open("rb") as upload:
            member.logo.save(
                change_request.logo.name.rsplit("/", 1)[-1], upload, save=False
            )
    # One version for the whole change, relations included (as an admin save makes).
    member.skip_history_when_saving = True
    member.save()
    if sectors is not None:
        member.sectors.set(sectors)
    del member.skip_history_when_saving
    records = history_of(Member)
    if records:
        member._change_reason = _(
            "Change request %(number)s from the member portal"
        ) % {"number": change_request.pk}
        records.record(member, user=reviewed_by)
    change_request.status = RequestStatus.APPROVED
    change_request.review_message = message
    change_request.reviewed_by = reviewed_by
    change_request.reviewed_at = timezone.now()
    change_request.save()
    _log(
        reviewed_by,
        member,
        _("Approved change request %(number)s from the member portal.")
        % {"number": change_request.pk},
    )
    enqueue_on_commit(
        emails.send_decision, change_request_id=change_request.pk, site_url=site_url
    )
    return change_request


@transaction.atomic
def change_request_reject(*, change_request, reviewed_by, message, site_url):
    """Reject the request, telling the representative why; the member is untouched."""
    message = (message or "").strip()
    if not message:
        raise ValidationError(_("Say why the request is rejected."))
    change_request = _pending_for_review(change_request)
    change_request.status = RequestStatus.REJECTED
    change_request.review_message = message
    change_request.reviewed_by = reviewed_by
    change_request.reviewed_at = timezone.now()
    change_request.save()
    enqueue_on_commit(
        emails.send_decision, change_request_id=change_request.pk, site_url=site_url
    )
    return change_request
