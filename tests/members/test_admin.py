import io
import os
import re

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from members.models import ApplicationStatus, Member
from tests.factories import (
    ArticleFactory,
    MemberFactory,
    MembershipApplicationFactory,
    SectorFactory,
    TierFactory,
)
from tests.helpers import (
    CSV_HEADER,
    committed,
    logo_post,
    members_xlsx,
    png_bytes,
)

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def editor(client):
    user = User.objects.create_user(
        "editor", password="a-long-password-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


def test_editors_manage_news_and_alliance_content_and_only_view_members(editor):
    member = MemberFactory()
    assert editor.get("/admin/news/article/").status_code == 200
    assert editor.get("/admin/alliance/event/").status_code == 200
    assert editor.get("/admin/members/member/").status_code == 200
    assert editor.get("/admin/members/member/add/").status_code == 403
    change_url = f"/admin/members/member/{member.pk}/change/"
    assert editor.post(change_url, {"name_en": "Renamed"}).status_code == 403
    assert editor.get("/admin/members/membershipapplication/").status_code == 403


@pytest.mark.parametrize(
    ("app_label", "model_name", "field_name"),
    [
        ("news", "article", "members"),
        ("alliance", "scenarioparticipation", "member"),
        ("alliance", "event", "members"),
        ("alliance", "participation", "member"),
    ],
)
def test_editors_find_members_to_link_through_the_admin_autocomplete(
    editor, app_label, model_name, field_name
):
    MemberFactory(name="Rocket Co")
    MemberFactory(name="Eye in the Sky")
    response = editor.get(
        "/admin/autocomplete/",
        {
            "app_label": app_label,
            "model_name": model_name,
            "field_name": field_name,
            "term": "rocket",
        },
    )
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == ["Rocket Co"]


def test_editors_do_not_see_members_private_contacts(editor):
    member = MemberFactory(contact_name="Private Person")
    response = editor.get(f"/admin/members/member/{member.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert member.name in html
    for private in ("Private Person", member.contact_email, "PRIVATE-NOTE"):
        assert private not in html


def test_a_membership_manager_cannot_preview_a_draft_article(manager):
    draft = ArticleFactory(status="draft")
    assert manager.get(draft.get_absolute_url() + "?preview").status_code == 404


def test_a_membership_manager_previews_a_draft_member(manager):
    draft = MemberFactory(status="draft")
    assert manager.get(draft.get_absolute_url() + "?preview").status_code == 200


def test_an_editor_previews_a_draft_article_but_not_a_draft_member(editor):
    article = ArticleFactory(status="draft")
    member = MemberFactory(status="draft")
    assert editor.get(article.get_absolute_url() + "?preview").status_code == 200
    assert editor.get(member.get_absolute_url() + "?preview").status_code == 404


def test_editors_can_neither_import_nor_export_members(editor):
    assert editor.get(reverse("admin:members_member_import")).status_code == 403
    assert editor.get(reverse("admin:members_member_export")).status_code == 403


def test_the_editors_view_members_migration_grants_and_revokes_the_permission():
    from importlib import import_module

    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    name = "0006_editors_view_members"
    migration = import_module(f"alliance.content.migrations.{name}")
    state = MigrationLoader(connection).project_state(("alliance", name)).apps
    editors = Group.objects.get(name="Editors")

    migration.revoke(state, None)
    assert not editors.permissions.filter(codename="view_member").exists()
    migration.grant(state, None)
    assert editors.permissions.filter(codename="view_member").exists()


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


def test_a_real_logo_is_stored_with_small_renditions(admin_client):
    tier, sector = TierFactory(), SectorFactory()
    upload = SimpleUploadedFile(
        "logo.png", png_bytes((800, 400)), content_type="image/png"
    )
    with committed():  # the renditions are made by a task after the commit
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


def test_the_member_list_shows_the_small_logo_rendition_not_the_upload(
    admin_client,
):
    with committed():
        member = MemberFactory(
            logo=SimpleUploadedFile(
                "wide.png", png_bytes((800, 400)), content_type="image/png"
            )
        )
    member.refresh_from_db()
    html = admin_client.get("/admin/members/member/").content.decode()
    thumbnail = re.search(r'<img [^>]*class="admin-logo"[^>]*>', html).group(0)
    assert f'src="{member.logo_small.url}"' in thumbnail
    assert member.logo.url not in html
    # The 160 x 80 rendition, fitted into the 48-pixel column.
    assert 'width="48" height="24"' in thumbnail


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
    # The second data row is row 3 of the spreadsheet (the header is row 1).
    assert [(p.row, p.column) for p in response.context["problems"]] == [(3, "tier")]
    assert "Unknown membership tier “no-such-tier”." in html
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


def xlsx_rows(count):
    return [
        [f"imported-{n}", f"Imported {n}", f"导入 {n}", "member", "navigation", "CN", "published"]
        for n in range(1, count + 1)
    ]  # fmt: skip


XLSX = "1"  # the index of XLSX in MemberAdmin.formats


def test_a_membership_manager_imports_200_members_from_xlsx_after_a_clean_dry_run(
    manager,
):
    TierFactory(slug="member")
    SectorFactory(slug="navigation")
    response = import_file(
        manager,
        members_xlsx(xlsx_rows(200)),
        file_name="members.xlsx",
        file_format=XLSX,
    )
    assert response.status_code == 200
    result = response.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert result.totals["new"] == 200
    assert Member.objects.count() == 0  # a dry run changes nothing

    confirm = response.context["confirm_form"]
    response = manager.post(
        reverse("admin:members_member_process_import"), confirm.initial, follow=True
    )
    assert response.status_code == 200
    assert Member.objects.filter(slug__startswith="imported-").count() == 200
    member = Member.objects.get(slug="imported-137")
    assert member.name_zh_hans == "导入 137"
    assert list(member.sectors.values_list("slug", flat=True)) == ["navigation"]


def test_an_xlsx_file_with_one_bad_row_imports_nothing_and_names_the_row(manager):
    TierFactory(slug="member")
    SectorFactory(slug="navigation")
    rows = xlsx_rows(200)
    rows[136][3] = "no-such-tier"
    response = import_file(
        manager, members_xlsx(rows), file_name="members.xlsx", file_format=XLSX
    )
    assert response.status_code == 200
    assert [(p.row, p.column) for p in response.context["problems"]] == [(138, "tier")]
    assert response.context.get("confirm_form") is None
    assert Member.objects.count() == 0


def test_an_import_past_the_dry_run_with_one_bad_row_rolls_back_every_row():
    from tablib import Dataset

    from members.resources import MemberResource

    TierFactory(slug="member")
    SectorFactory(slug="navigation")
    rows = xlsx_rows(200)
    rows[199][3] = "no-such-tier"
    dataset = Dataset().load(members_xlsx(rows), format="xlsx")
    result = MemberResource().import_data(dataset, dry_run=False)
    assert result.has_validation_errors()
    assert Member.objects.count() == 0


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


@pytest.mark.parametrize("status", ["draft", "published"])
def test_view_on_site_opens_the_page_or_the_staff_preview(admin_client, status):
    member = MemberFactory(status=status)
    article = ArticleFactory(status=status)
    for obj, app in ((member, "members/member"), (article, "news/article")):
        html = admin_client.get(f"/admin/{app}/{obj.pk}/change/").content.decode()
        link = re.search(r'<a href="([^"]+)" class="viewsitelink">', html).group(1)
        if status == "draft":
            assert link == obj.get_absolute_url() + "?preview"
        assert admin_client.get(link, follow=True).status_code == 200


def test_the_country_filter_lists_only_the_countries_members_have(admin_client):
    MemberFactory(country="CN")
    MemberFactory(country="DE")
    MemberFactory(country="CN")
    response = admin_client.get("/admin/members/member/")
    country_filter = next(
        spec
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "parameter_name", None) == "country"
    )
    assert [code for code, _name in country_filter.lookup_choices] == ["CN", "DE"]
    filtered = admin_client.get("/admin/members/member/", {"country": "DE"})
    assert filtered.context["cl"].result_count == 1
