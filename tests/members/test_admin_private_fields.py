"""Private fields stay with the users who may change the record, whatever the address asks.

An editor may view members (to link content to them) but not their
contacts or notes: not as columns, and not through the list's filters,
search or ordering, which would otherwise answer "1 result" or "0 results"
to a guess. Each private field of each model is tried with each role.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.urls import reverse

from members.models import Member, MembershipApplication
from tests.factories import MemberFactory, MembershipApplicationFactory

pytestmark = pytest.mark.django_db

MEMBER_PRIVATE = list(admin.site._registry[Member].private_fields)
APPLICATION_PRIVATE = list(admin.site._registry[MembershipApplication].private_fields)
SECRET = "zq-private"


def signed_in(client, *, group=None, permissions=(), superuser=False):
    user = User.objects.create_user(
        # No password: signing in is forced, and hashing one costs time.
        "someone",
        password=None,
        is_staff=True,
        is_superuser=superuser,
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    return client


def private_member():
    return MemberFactory(
        contact_name=f"{SECRET} person",
        contact_email=f"{SECRET}@member.example",
        contact_phone=f"+86 {SECRET}",
        internal_notes=f"{SECRET} notes",
    )


def private_application():
    return MembershipApplicationFactory(
        contact_name=f"{SECRET} person",
        contact_email=f"{SECRET}@applicant.example",
        contact_phone=f"+86 {SECRET}",
        message=f"{SECRET} message",
        rejection_reason=f"{SECRET} reason",
        status="rejected",
    )


def test_every_private_field_of_members_is_named():
    assert set(MEMBER_PRIVATE) == {
        "contact_name",
        "contact_email",
        "contact_phone",
        "internal_notes",
    }


@pytest.mark.parametrize("field", MEMBER_PRIVATE)
def test_an_editor_cannot_filter_members_by_a_private_field(client, field):
    editor = signed_in(client, group="Editors")
    private_member()
    for lookup in ("__startswith", "", "__isnull", "__icontains"):
        response = editor.get("/admin/members/member/", {f"{field}{lookup}": "z"})
        html = response.content.decode()
        assert response.status_code == 400
        assert "it is private" in html
        assert "result" not in html


@pytest.mark.parametrize("role", ["Membership managers", "superuser"])
def test_those_who_keep_members_filter_by_private_fields(client, role):
    user = (
        signed_in(client, superuser=True)
        if role == "superuser"
        else signed_in(client, group=role)
    )
    member = private_member()
    MemberFactory(
        contact_name="", contact_email="", contact_phone="", internal_notes=""
    )
    for field in MEMBER_PRIVATE:
        response = user.get(
            "/admin/members/member/",
            {f"{field}__startswith": getattr(member, field)[:6]},
        )
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1


def test_an_editor_can_neither_search_nor_sort_members_by_private_fields(client):
    editor = signed_in(client, group="Editors")
    private_member()
    response = editor.get("/admin/members/member/", {"q": SECRET})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0
    model_admin = admin.site._registry[Member]
    request = response.wsgi_request
    assert not set(model_admin.get_search_fields(request)) & set(MEMBER_PRIVATE)
    assert not set(model_admin.get_list_display(request)) & set(MEMBER_PRIVATE)
    assert not set(model_admin.get_sortable_by(request)) & set(MEMBER_PRIVATE)
    # Every column the list can be sorted by: none shows a private value.
    for index in range(len(model_admin.get_list_display(request)) + 2):
        page = editor.get("/admin/members/member/", {"o": str(index)})
        assert page.status_code == 200
        assert SECRET not in page.content.decode()


def test_an_editor_sees_a_member_without_its_private_fields(client):
    editor = signed_in(client, group="Editors")
    member = private_member()
    html = editor.get(f"/admin/members/member/{member.pk}/change/").content.decode()
    assert member.name in html and SECRET not in html


def test_an_editor_can_neither_export_nor_import_members(client):
    editor = signed_in(client, group="Editors")
    assert editor.get(reverse("admin:members_member_export")).status_code == 403
    assert editor.get(reverse("admin:members_member_import")).status_code == 403
    assert editor.post(reverse("admin:members_member_export"), {}).status_code == 403


def test_editors_have_no_access_to_applications(client):
    editor = signed_in(client, group="Editors")
    private_application()
    for field in APPLICATION_PRIVATE:
        response = editor.get(
            "/admin/members/membershipapplication/", {f"{field}__startswith": "z"}
        )
        assert response.status_code == 403


@pytest.mark.parametrize("field", APPLICATION_PRIVATE)
def test_a_view_only_user_cannot_filter_applications_by_a_private_field(client, field):
    viewer = signed_in(client, permissions=["view_membershipapplication"])
    application = private_application()
    response = viewer.get(
        "/admin/members/membershipapplication/", {f"{field}__startswith": "z"}
    )
    assert response.status_code == 400
    assert "result" not in response.content.decode()
    # Nor search, sort or read them.
    response = viewer.get("/admin/members/membershipapplication/", {"q": SECRET})
    assert response.context["cl"].result_count == 0
    for index in range(8):
        page = viewer.get("/admin/members/membershipapplication/", {"o": str(index)})
        assert SECRET not in page.content.decode()
    page = viewer.get(f"/admin/members/membershipapplication/{application.pk}/change/")
    assert page.status_code == 200 and SECRET not in page.content.decode()


@pytest.mark.parametrize("role", ["Membership managers", "superuser"])
def test_those_who_review_applications_filter_by_private_fields(client, role):
    user = (
        signed_in(client, superuser=True)
        if role == "superuser"
        else signed_in(client, group=role)
    )
    application = private_application()
    MembershipApplicationFactory()
    for field in APPLICATION_PRIVATE:
        response = user.get(
            "/admin/members/membershipapplication/",
            {f"{field}__startswith": getattr(application, field)[:6]},
        )
        assert response.status_code == 200
        assert response.context["cl"].result_count == 1
