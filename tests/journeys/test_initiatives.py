"""The fund group, end to end: an editor lists its backers, a visitor on a phone finds them."""

import json
import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from tests.factories import EventFactory, InitiativeFactory
from tests.helpers import axe_violations, format_violations, role_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def editors_group():
    return role_group("Editors")


def assert_accessible(page):
    violations = axe_violations(page)
    assert violations == [], f"{page.url}\n{format_violations(violations)}"


def test_an_editor_lists_the_backers_and_a_visitor_finds_them_on_a_phone(
    live_server, browser
):
    editor = User.objects.create_user(
        "editor", password="a-long-and-unusual-password-42", is_staff=True
    )
    editor.groups.add(editors_group())
    event = EventFactory(slug="forum", name="Launch Forum")
    fund = InitiativeFactory(
        slug="fund", name="Space Fund Group", kind="fund", launched_at=event
    )

    # The editor adds two backers in the initiative's admin page.
    admin = browser.new_page()
    admin.goto(live_server.url + "/admin/login/")
    admin.get_by_label("Username").fill("editor")
    admin.get_by_label("Password").fill("a-long-and-unusual-password-42")
    admin.get_by_role("button", name="Log in").click()
    admin.goto(f"{live_server.url}/admin/alliance/initiative/{fund.pk}/change/")
    admin.locator("#id_participations-0-order").fill("1")
    admin.locator("#id_participations-0-organization_en").fill("Rocket Company")
    admin.locator("#id_participations-0-role").select_option("lead")
    admin.get_by_role(
        "button", name=re.compile("add another participating organization", re.I)
    ).click()
    admin.locator("#id_participations-1-order").fill("2")
    admin.locator("#id_participations-1-organization_en").fill(
        "Example investment institution 2"
    )
    admin.locator("#id_participations-1-role").select_option("investor")
    admin.locator("#id_participations-1-is_example").check()
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was changed successfully")
    admin.close()

    # A visitor on a phone follows the main navigation to the fund group.
    phone = browser.new_context(viewport={"width": 375, "height": 740})
    page = phone.new_page()
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Initiatives"
    ).click()
    expect(page.locator("h1")).to_have_text("Initiatives")
    assert_accessible(page)
    page.get_by_role("link", name="Space Fund Group").click()
    expect(page.locator("h1")).to_have_text("Space Fund Group")
    backers = page.locator(".participations li")
    expect(backers).to_have_count(2)
    expect(backers.nth(1)).to_contain_text("Example investment institution 2")
    expect(backers.nth(1)).to_contain_text("Example name")
    assert_accessible(page)
    # What a link shared from here shows.
    assert page.locator('link[rel="canonical"]').get_attribute("href") == (
        f"{live_server.url}/initiatives/fund/"
    )
    og_image = page.locator('meta[property="og:image"]').get_attribute("content")
    assert og_image == f"{live_server.url}/static/img/share.png"
    assert page.request.get(og_image).status == 200
    data = [
        json.loads(text)
        for text in page.locator('script[type="application/ld+json"]').all_inner_texts()
    ]
    assert "FundingScheme" in [block["@type"] for block in data]
    phone.close()
