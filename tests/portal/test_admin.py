"""Membership managers invite representatives and review their requests in the admin."""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.test import Client

from portal.models import ChangeRequest, Representative, RequestStatus
from tests.factories import ChangeRequestFactory, MemberFactory, RepresentativeFactory
from tests.helpers import assert_valid_html, form_data, png_upload, role_group

pytestmark = pytest.mark.django_db


def staff_client(client, role):
    user = User.objects.create_user(
        role.lower(), password="pw-for-tests", is_staff=True
    )
    user.groups.add(role_group(role))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def manager(client):
    return staff_client(client, "Membership managers")


def member_form(client, member):
    url = f"/admin/members/member/{member.pk}/change/"
    response = client.get(url)
    assert response.status_code == 200
    return url, form_data(response.content.decode(), "member_form")


def test_a_manager_invites_a_representative_from_the_members_page(
    manager, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    member = MemberFactory()
    url, data = member_form(manager, member)
    data["representatives-0-email"] = "new.rep@member.example"
    data["representatives-0-language"] = "zh-hans"
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    representative = Representative.objects.get()
    assert representative.member == member
    assert representative.invited_by == manager.user
    assert not representative.user.is_staff
    assert [m.to for m in mail.outbox] == [["new.rep@member.example"]]
    assert "/zh-hans/portal/set-password/" in mail.outbox[0].body

    # The member's page lists them; saving it again invites nobody twice.
    url, data = member_form(manager, member)
    assert "new.rep@member.example" in manager.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        manager.post(url, data)
    assert Representative.objects.count() == 1
    assert len(mail.outbox) == 1


def test_a_staff_address_is_refused_with_a_message(manager):
    member = MemberFactory()
    url, data = member_form(manager, member)
    data["representatives-0-email"] = manager.user.email or "x@y.example"
    manager.user.email = data["representatives-0-email"]
    manager.user.save()
    response = manager.post(url, data)
    assert response.status_code == 200
    assert "staff account" in response.content.decode()
    assert Representative.objects.count() == 0


def test_editors_see_neither_representatives_nor_requests(client):
    editor = staff_client(client, "Editors")
    member = MemberFactory()
    RepresentativeFactory(member=member, user__email="hidden.rep@member.example")
    page = editor.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert "hidden.rep@member.example" not in page
    assert editor.get("/admin/portal/changerequest/").status_code == 403


def test_the_review_shows_each_change_side_by_side(manager):
    member = MemberFactory(summary="Old summary", description_zh_hans="旧介绍")
    change_request = ChangeRequestFactory(member=member)
    change_request.proposed["description_zh_hans"] = "新介绍"
    change_request.logo.save("logo.png", png_upload(), save=True)
    member.city_en = "Chengdu"  # after the request: no conflict, not proposed
    member.save()

    response = manager.get(f"/admin/portal/changerequest/{change_request.pk}/change/")
    page = response.content.decode()
    assert_valid_html(page)
    assert "Old summary" in page and "A proposed new summary." in page
    assert "旧介绍" in page and "新介绍" in page
    assert "Proposed logo" in page
    assert "Chengdu" not in page
    assert "Conflict" not in page


def test_a_proposed_logo_is_private_and_shown_to_reviewers_only(manager, settings):
    change_request = ChangeRequestFactory()
    change_request.logo.save("logo.jpg", png_upload(), save=True)
    name = change_request.logo.name
    # Kept in the private files, with no address under the media.
    assert (settings.PRIVATE_ROOT / name).is_file()
    assert not (settings.MEDIA_ROOT / name).exists()

    page = manager.get(
        f"/admin/portal/changerequest/{change_request.pk}/change/"
    ).content.decode()
    address = f"/admin/portal/changerequest/{change_request.pk}/proposed-logo/"
    assert f'src="{address}"' in page
    assert settings.MEDIA_URL + name not in page
    response = manager.get(address)
    assert response.status_code == 200
    # Served as what it is (a PNG named .jpg), never sniffed, never stored.
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    # Read to the end, the test client closes the file.
    assert b"".join(response.streaming_content) == png_upload().read()

    # Neither anonymous visitors nor editors get it; a request without a logo is a 404.
    assert Client().get(address).status_code == 302
    editor = staff_client(Client(), "Editors")
    assert editor.get(address).status_code == 403
    bare = ChangeRequestFactory()
    no_logo = f"/admin/portal/changerequest/{bare.pk}/proposed-logo/"
    assert manager.get(no_logo).status_code == 404


def test_the_list_opens_on_pending_requests(manager):
    pending = ChangeRequestFactory(member__name="Pending Co")
    ChangeRequestFactory(
        member__name="Rejected Co", status=RequestStatus.REJECTED, review_message="No"
    )
    page = manager.get("/admin/portal/changerequest/").content.decode()
    assert "Pending Co" in page and "Rejected Co" not in page
    assert pending.pk


def test_approving_and_rejecting_from_the_review(
    manager, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    change_request = ChangeRequestFactory()
    url = f"/admin/portal/changerequest/{change_request.pk}/change/"
    # Rejecting without a message says why, and keeps the request open.
    response = manager.post(url, {"decision": "reject", "message": ""})
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    assert manager.post(url, {"decision": "maybe"}).status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(url, {"decision": "approve", "message": "Thanks"})
    assert response.status_code == 302
    change_request.refresh_from_db()
    assert change_request.status == RequestStatus.APPROVED
    assert change_request.member.summary_en == "A proposed new summary."
    # Reviewed once: a second decision is refused.
    response = manager.post(url, {"decision": "reject", "message": "Late"})
    assert response.status_code in (400, 200)
    assert ChangeRequest.objects.get().status == RequestStatus.APPROVED


def test_an_unknown_request_is_a_404(manager):
    assert manager.get("/admin/portal/changerequest/999/change/").status_code == 404
    assert manager.get("/admin/portal/changerequest/abc/change/").status_code == 404
