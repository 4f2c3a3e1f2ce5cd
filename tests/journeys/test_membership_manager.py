"""A membership manager's morning in the admin, in a real browser.

A staff user of the *Membership managers* group (not a superuser) signs
in, imports a spreadsheet with two bad rows, reads both errors with their
row numbers, fixes the file, imports it, then approves an application to
join, and the applicant is told.
"""

import pytest
from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import expect

from members import admin as members_admin
from members.models import ApplicationStatus, Member, MembershipApplication
from tests.factories import MembershipApplicationFactory, SectorFactory, TierFactory
from tests.helpers import role_group, run_tasks

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "slug,name_en,name_zh_hans,tier,sectors,country,status\n"
GOOD = "orbit-works,Orbit Works,轨道工场,member,navigation,CN,draft\n"
BAD_TIER = "sky-eye,Sky Eye,天眼,gold,navigation,CN,draft\n"
BAD_COUNTRY = "deep-link,Deep Link,深联,member,navigation,XX,draft\n"
FIXED = (
    "sky-eye,Sky Eye,天眼,member,navigation,CN,draft\n"
    "deep-link,Deep Link,深联,member,navigation,DE,draft\n"
)
PASSWORD = "a-long-password-for-the-journey"


@pytest.fixture
def manager():
    user = User.objects.create_user("mira", password=PASSWORD, is_staff=True)
    user.groups.add(role_group("Membership managers"))
    return user


def upload(page, content):
    page.set_input_files(
        "input[name=import_file]",
        files=[
            {"name": "members.csv", "mimeType": "text/csv", "buffer": content.encode()}
        ],
    )
    page.select_option("select[name=format]", label="csv")
    page.get_by_role("button", name="Submit").click()


def test_a_membership_manager_imports_members_and_approves_an_application(
    live_server, page, manager, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    TierFactory(slug="member", name="Member")
    SectorFactory(slug="navigation", name="Navigation")
    application = MembershipApplicationFactory(
        organization_name="Harbour Geodata", contact_email="hello@harbour.example"
    )

    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("mira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    members_link = page.get_by_role(
        "rowheader", name="Members", exact=True
    ).get_by_role("link")
    expect(members_link).to_be_visible()

    # A file with two bad rows: both are reported, by spreadsheet row and column.
    members_link.click()
    page.get_by_role("link", name="Import", exact=True).click()
    upload(page, HEADER + GOOD + BAD_TIER + BAD_COUNTRY)
    problems = page.locator("table.import-problems tbody tr")
    expect(problems).to_have_count(2)
    expect(problems.nth(0)).to_contain_text("3")
    expect(problems.nth(0)).to_contain_text("tier")
    expect(problems.nth(0)).to_contain_text("Unknown membership tier “gold”.")
    expect(problems.nth(1)).to_contain_text("4")
    expect(problems.nth(1)).to_contain_text("country")
    expect(problems.nth(1)).to_contain_text("Unknown country code “XX”")
    assert Member.objects.count() == 0

    # The fixed file passes the dry run and is imported.
    upload(page, HEADER + GOOD + FIXED)
    expect(page.locator("table.import-problems")).to_have_count(0)
    page.get_by_role("button", name="Confirm import").click()
    expect(page.locator(".messagelist")).to_contain_text("3 new")
    assert set(Member.objects.values_list("slug", flat=True)) == {
        "orbit-works",
        "sky-eye",
        "deep-link",
    }

    # An application to join, reviewed and approved.
    page.goto(live_server.url + "/admin/members/membershipapplication/")
    page.get_by_role("link", name="Harbour Geodata").click()
    page.get_by_role("link", name="Approve…").click()
    page.get_by_role("button", name="Approve the application").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved")
    application.refresh_from_db()
    assert application.status == ApplicationStatus.APPROVED
    assert application.member.name_en == "Harbour Geodata"
    assert application.member.status == "draft"
    assert MembershipApplication.objects.get().reviewed_by == manager
    assert [m.to for m in mail.outbox] == [["hello@harbour.example"]]


@pytest.mark.usefixtures("database_tasks")
def test_a_long_file_is_imported_by_the_worker_and_its_result_shown_in_the_admin(
    live_server, page, manager, settings, monkeypatch, tmp_path
):
    # Ten rows are checked in the request here: the 30 below are "long".
    monkeypatch.setattr(members_admin, "ADMIN_ROW_LIMIT", 10)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    manager.email = "mira@alliance.example"
    manager.save()
    TierFactory(slug="member", name="Member")
    SectorFactory(slug="navigation", name="Navigation")
    rows = "".join(
        f"long-{n},Long {n},长 {n},member,navigation,CN,draft\n" for n in range(30)
    )

    page.goto(live_server.url + "/admin/members/member/import/")
    page.get_by_label("Username").fill("mira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    upload(page, HEADER + rows)
    expect(page.locator(".messagelist")).to_contain_text(
        "The file has 30 rows: it is being imported in the background"
    )
    expect(page.locator(".field-import_status")).to_contain_text("Queued")
    expect(page.locator("#import-outcome")).to_contain_text("waiting for")
    assert Member.objects.count() == 0

    assert run_tasks() == 2  # the worker: the import, then its mail
    page.reload()
    expect(page.locator(".field-import_status")).to_contain_text("Done")
    expect(page.locator("#import-outcome")).to_contain_text(
        "Imported: 30 new, 0 updated, 0 unchanged."
    )
    assert Member.objects.filter(slug__startswith="long-").count() == 30
    [message] = mail.outbox
    assert message.to == ["mira@alliance.example"]
    page.screenshot(path=str(tmp_path / "member-import-done.png"), full_page=True)
