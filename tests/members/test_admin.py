import io
import os

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from members.models import ApplicationStatus, Member
from tests.factories import (
    MemberFactory,
    MembershipApplicationFactory,
    SectorFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db


def png_bytes(size=(200, 100), image_format="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", size, "#0b3a6f").save(buffer, format=image_format)
    return buffer.getvalue()


@pytest.fixture
def manager(client):
    user = User.objects.create_user(
        "manager", password="a-long-password-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Membership managers"))
    client.force_login(user)
    return client


def test_membership_managers_can_manage_members_and_nothing_else(manager):
    MemberFactory()
    assert manager.get("/admin/members/member/").status_code == 200
    assert manager.get("/admin/members/membershipapplication/").status_code == 200
    assert manager.get("/admin/news/article/").status_code == 403
    assert manager.get("/admin/alliance/scenario/").status_code == 403
    assert manager.get("/admin/auth/user/").status_code == 403


def test_editors_manage_news_and_alliance_content_but_not_members(client):
    user = User.objects.create_user(
        "editor", password="a-long-password-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    assert client.get("/admin/news/article/").status_code == 200
    assert client.get("/admin/alliance/event/").status_code == 200
    assert client.get("/admin/members/member/").status_code == 403


def test_member_list_and_forms_render_for_an_administrator(admin_client):
    MemberFactory()
    for path in (
        "/admin/members/member/",
        "/admin/members/member/add/",
        "/admin/members/sector/",
        "/admin/members/tier/",
    ):
        assert admin_client.get(path).status_code == 200, path
    assert admin_client.get("/admin/members/member/?q=Sample").status_code == 200


def test_bulk_unpublish_records_who_did_it(admin_client, admin_user):
    members = MemberFactory.create_batch(2)
    response = admin_client.post(
        "/admin/members/member/",
        {"action": "unpublish_selected", "_selected_action": [m.pk for m in members]},
        follow=True,
    )
    assert "2 items unpublished." in response.content.decode()
    assert Member.objects.published().count() == 0
    entries = LogEntry.objects.filter(object_id__in=[str(m.pk) for m in members])
    assert entries.count() == 2 and {entry.user_id for entry in entries} == {
        admin_user.pk
    }


def logo_post(tier, sector, upload):
    return {
        "name_en": "Logo Test Co",
        "slug": "logo-test",
        "status": "published",
        "tier": tier.pk,
        "sectors": [sector.pk],
        "country": "CN",
        "logo": upload,
    }


def test_a_real_logo_is_stored_with_small_renditions(admin_client):
    tier, sector = TierFactory(), SectorFactory()
    upload = SimpleUploadedFile(
        "logo.png", png_bytes((800, 400)), content_type="image/png"
    )
    response = admin_client.post(
        "/admin/members/member/add/", logo_post(tier, sector, upload)
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member = Member.objects.get(slug="logo-test")
    assert (member.logo_width, member.logo_height) == (800, 400)
    assert member.logo_small.name.endswith("-160.webp")
    assert (member.logo_small_width, member.logo_small_height) == (160, 80)
    assert member.logo_large.name.endswith("-320.webp")
    assert member.logo_small.size < 10_000


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "Upload a valid image",
        ),
        ("logo.png", b"%PDF-1.4 not an image at all", "Upload a valid image"),
        ("logo.png", png_bytes((10, 10)), "between 32 and 4000 pixels"),
        ("logo.png", "noise", "larger than 2 MB"),
    ],
)
def test_bad_logos_are_refused_with_a_message(admin_client, name, content, message):
    tier, sector = TierFactory(), SectorFactory()
    if content == "noise":
        # Random pixels do not compress: a real PNG of about 3 MB.
        buffer = io.BytesIO()
        Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000)).save(
            buffer, format="PNG"
        )
        content = buffer.getvalue()
    upload = SimpleUploadedFile(name, content)
    response = admin_client.post(
        "/admin/members/member/add/", logo_post(tier, sector, upload)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Member.objects.filter(slug="logo-test").exists()


CSV_HEADER = "slug,name_en,name_zh_hans,tier,sectors,country,status\n"


def import_file(
    admin_client, content, *, confirm=False, file_name="members.csv", file_format="0"
):
    upload = SimpleUploadedFile(
        file_name, content.encode() if isinstance(content, str) else content
    )
    return admin_client.post(
        reverse("admin:members_member_import"),
        {"import_file": upload, "format": file_format, "resource": "0"},
    )


def test_import_dry_run_reports_row_errors_and_changes_nothing(admin_client):
    TierFactory(slug="member")
    SectorFactory(slug="navigation")
    content = (
        CSV_HEADER
        + "good-one,Good One,好,member,navigation,CN,published\nbad-one,Bad One,坏,no-such-tier,navigation,CN,published\n"
    )
    response = import_file(admin_client, content)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Line number: 2 - Tier matching query does not exist." in html
    assert (
        "confirm_form" not in response.context
        or response.context["confirm_form"] is None
    )
    assert Member.objects.count() == 0


def test_a_clean_import_creates_and_updates_members_by_slug(admin_client):
    TierFactory(slug="member")
    SectorFactory(slug="navigation")
    SectorFactory(slug="launch")
    MemberFactory(slug="existing", name_en="Old name")
    content = (
        CSV_HEADER
        + "new-one,New One,新成员,member,navigation;launch,cn,published\nexisting,New name,新名字,member,navigation,DE,draft\n"
    )
    response = import_file(admin_client, content)
    assert response.status_code == 200
    confirm = response.context["confirm_form"]
    response = admin_client.post(
        reverse("admin:members_member_process_import"), confirm.initial, follow=True
    )
    assert response.status_code == 200
    new = Member.objects.get(slug="new-one")
    assert new.name_zh_hans == "新成员" and new.country.code == "CN"
    assert sorted(new.sectors.values_list("slug", flat=True)) == [
        "launch",
        "navigation",
    ]
    assert Member.objects.get(slug="existing").name_en == "New name"
    assert Member.objects.count() == 2


def test_members_export_as_xlsx(admin_client):
    MemberFactory(slug="exported")
    response = admin_client.post(
        reverse("admin:members_member_export"),
        {
            "format": "1",
            "resource": "0",
            **{f"memberresource_{name}": "on" for name in ("slug", "name_en", "tier")},
        },
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [cell.value for row in sheet.iter_rows() for cell in row]
    assert "exported" in values


def test_approving_an_application_creates_an_unpublished_member(
    admin_client, admin_user
):
    TierFactory(slug="member", order=3)
    sector = SectorFactory()
    application = MembershipApplicationFactory(
        organization_name="Orbit Start", contact_email="ada@orbit.example"
    )
    application.sectors.add(sector)
    assert (
        admin_client.get(
            f"/admin/members/membershipapplication/{application.pk}/approve/"
        ).status_code
        == 200
    )
    response = admin_client.post(
        f"/admin/members/membershipapplication/{application.pk}/approve/"
    )
    member = Member.objects.get(name_en="Orbit Start")
    assert response["Location"] == f"/admin/members/member/{member.pk}/change/"
    assert member.status == "draft" and member.contact_email == "ada@orbit.example"
    assert list(member.sectors.all()) == [sector]
    application.refresh_from_db()
    assert (
        application.status == ApplicationStatus.APPROVED
        and application.member == member
    )
    assert application.reviewed_by == admin_user
    # Approving twice does nothing more.
    admin_client.post(f"/admin/members/membershipapplication/{application.pk}/approve/")
    assert Member.objects.filter(name_en="Orbit Start").count() == 1


def test_rejecting_needs_a_reason_and_records_it(admin_client):
    application = MembershipApplicationFactory()
    url = f"/admin/members/membershipapplication/{application.pk}/reject/"
    response = admin_client.post(url, {"reason": ""})
    assert (
        response.status_code == 200
        and "This field is required." in response.content.decode()
    )
    admin_client.post(url, {"reason": "Outside the industry."})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.REJECTED
    assert application.rejection_reason == "Outside the industry."
    assert Member.objects.count() == 0
