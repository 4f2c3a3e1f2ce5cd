"""The rules of representatives and change requests."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from alliance.kernel.response_cache import current_generation
from portal.models import ChangeRequest, RequestKind, RequestStatus, member_values
from portal.services import (
    change_request_approve,
    change_request_reject,
    change_request_verify,
    representative_invite,
)
from tests.factories import ChangeRequestFactory, MemberFactory, SectorFactory
from tests.helpers import png_upload

pytestmark = pytest.mark.django_db
SITE = "https://alliance.example"


@pytest.fixture
def mailbox(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    return mail.outbox


@pytest.fixture
def manager():
    return User.objects.create_user("mira", password="pw-for-tests", is_staff=True)


def test_an_invitation_makes_a_user_without_password_or_staff_and_mails_a_link(
    mailbox, manager, django_capture_on_commit_callbacks
):
    member = MemberFactory(name_zh_hans="蓝箭")
    with django_capture_on_commit_callbacks(execute=True):
        representative = representative_invite(
            member=member,
            email="Rep@Acme.example",
            language="zh-hans",
            invited_by=manager,
            site_url=SITE,
        )
    user = representative.user
    assert not user.is_staff and not user.has_usable_password()
    assert [m.to for m in mailbox] == [["Rep@acme.example"]]
    # In the representative's language, with a link in it.
    assert "蓝箭" in mailbox[0].subject
    assert f"{SITE}/zh-hans/portal/set-password/" in mailbox[0].body


def test_a_staff_address_cannot_be_made_a_representative(manager):
    manager.email = "mira@secretariat.example"
    manager.save()
    with pytest.raises(ValidationError):
        representative_invite(
            member=MemberFactory(),
            email="MIRA@secretariat.example",
            language="en",
            invited_by=manager,
            site_url=SITE,
        )


def test_one_person_may_represent_several_members_once_each(manager):
    first, second = MemberFactory(), MemberFactory()
    for member in (first, second):
        representative_invite(
            member=member,
            email="a@b.example",
            language="en",
            invited_by=manager,
            site_url=SITE,
        )
    assert User.objects.filter(email="a@b.example").count() == 1
    with pytest.raises(ValidationError):
        representative_invite(
            member=first,
            email="a@b.example",
            language="en",
            invited_by=manager,
            site_url=SITE,
        )


def test_a_member_has_one_open_request_at_most():
    member = MemberFactory()
    ChangeRequestFactory(member=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        ChangeRequestFactory(member=member)
    ChangeRequestFactory(member=member, status=RequestStatus.WITHDRAWN)
    with pytest.raises(ValidationError):
        change_request_verify(member=member, user=None, language="en", site_url=SITE)


def test_approval_applies_every_change_keeps_a_version_and_tells_the_representative(
    mailbox, manager, django_capture_on_commit_callbacks
):
    sector = SectorFactory(slug="navigation")
    member = MemberFactory(description_zh_hans="")
    versions = member.history.count()
    change_request = ChangeRequestFactory(member=member, language="zh-hans")
    change_request.proposed.update(
        description_zh_hans="新的介绍", sectors=["navigation"], logo_alt_en="New logo"
    )
    change_request.logo.save("logo.png", png_upload(), save=True)
    generation = current_generation()

    with django_capture_on_commit_callbacks(execute=True):
        change_request_approve(
            change_request=change_request,
            reviewed_by=manager,
            message="Thank you",
            site_url=SITE,
        )

    member.refresh_from_db()
    assert member.summary_en == "A proposed new summary."
    assert member.description_zh_hans == "新的介绍"
    assert list(member.sectors.all()) == [sector]
    assert member.logo and member.logo_small  # renditions made
    assert member.logo_alt_en == "New logo"
    assert member.last_verified_on == timezone.localdate()
    assert member.history.count() == versions + 1
    latest = member.history.first()
    assert latest.history_user == manager
    assert "portal" in latest.history_change_reason
    assert current_generation() != generation  # cached pages are dropped
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.APPROVED
    assert change_request.reviewed_by == manager
    assert [m.to for m in mailbox] == [[change_request.submitted_by.email]]
    with translation.override("zh-hans"):
        assert change_request.get_status_display() in mailbox[0].subject
    assert "Thank you" in mailbox[0].body


def test_a_change_made_in_the_admin_meanwhile_is_a_conflict_not_overwritten(manager):
    member = MemberFactory(summary="Old summary")
    change_request = ChangeRequestFactory(member=member)
    member.summary_en = "Changed by the secretariat"
    member.city_en = "Beijing"
    member.save()

    rows = {row.column: row for row in change_request.diff()}
    assert rows["summary_en"].conflict
    assert rows["summary_en"].current == "Changed by the secretariat"
    with pytest.raises(ValidationError):
        change_request_approve(
            change_request=change_request, reviewed_by=manager, site_url=SITE
        )
    member.refresh_from_db()
    assert member.summary_en == "Changed by the secretariat"
    assert ChangeRequest.objects.get().is_pending

    change_request_approve(
        change_request=change_request,
        reviewed_by=manager,
        overwrite_conflicts=True,
        site_url=SITE,
    )
    member.refresh_from_db()
    assert member.summary_en == "A proposed new summary."
    # What the representative did not touch keeps the secretariat's change.
    assert member.city_en == "Beijing"


def test_an_approval_that_fails_changes_nothing(manager):
    member = MemberFactory(summary="Old summary")
    change_request = ChangeRequestFactory(member=member)
    # Made invalid behind the form's back: too long for the column.
    change_request.proposed.update(summary_en="x" * 301, city_en="Shanghai")
    change_request.save()
    with pytest.raises(ValidationError):
        change_request_approve(
            change_request=change_request, reviewed_by=manager, site_url=SITE
        )
    member.refresh_from_db()
    assert (member.summary_en, member.city_en) == ("Old summary", "Chongqing")
    assert ChangeRequest.objects.get().is_pending


def test_a_confirmation_moves_the_last_verified_date_only(manager):
    member = MemberFactory(last_verified_on="2024-01-01")
    before = member_values(member)
    change_request = change_request_verify(
        member=member, user=None, language="en", site_url=SITE
    )
    assert change_request.kind == RequestKind.VERIFICATION
    change_request_approve(
        change_request=change_request, reviewed_by=manager, site_url=SITE
    )
    member.refresh_from_db()
    assert member.last_verified_on == timezone.localdate()
    assert member_values(member) == before


def test_a_rejection_needs_a_message_and_changes_nothing(
    mailbox, manager, django_capture_on_commit_callbacks
):
    member = MemberFactory(summary="Old summary")
    change_request = ChangeRequestFactory(member=member)
    with pytest.raises(ValidationError):
        change_request_reject(
            change_request=change_request,
            reviewed_by=manager,
            message=" ",
            site_url=SITE,
        )
    with django_capture_on_commit_callbacks(execute=True):
        change_request_reject(
            change_request=change_request,
            reviewed_by=manager,
            message="Send the logo in colour.",
            site_url=SITE,
        )
    member.refresh_from_db()
    assert member.summary_en == "Old summary"
    assert "Send the logo in colour." in mailbox[0].body
    with pytest.raises(ValidationError):
        change_request_approve(
            change_request=change_request, reviewed_by=manager, site_url=SITE
        )
