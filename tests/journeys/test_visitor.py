"""What visitors do, in a real browser, with an accessibility check on every page."""

import pytest
from playwright.sync_api import expect

from members.models import MembershipApplication
from tests.factories import (
    ArticleFactory,
    EventFactory,
    FieldFactory,
    MemberFactory,
    PageFactory,
    ScenarioFactory,
    SectorFactory,
    TagFactory,
    TierFactory,
)
from tests.helpers import axe_violations, format_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def assert_accessible(page):
    violations = axe_violations(page)
    assert violations == [], f"{page.url}\n{format_violations(violations)}"


@pytest.fixture
def site():
    PageFactory(slug="about", title="About the alliance")
    sector = SectorFactory(slug="remote-sensing", name="Remote sensing")
    tier = TierFactory(slug="founding", name="Founding member")
    member = MemberFactory(
        slug="eye", name="Eye in the Sky", sectors=[sector], tier=tier
    )
    MemberFactory(slug="rocket", name="Rocket Co", tier=tier)
    energy = FieldFactory(slug="energy", name="Energy")
    event = EventFactory(slug="forum", name="Space Forum")
    scenario = ScenarioFactory(
        slug="grid",
        title="Grid inspection from orbit",
        field=energy,
        announced_at=event,
    )
    tag = TagFactory(slug="policy", name="Policy")
    ArticleFactory(
        slug="launch",
        title="Alliance launched",
        summary="A new alliance.",
        body="## What happened\n\nA launch.",
        tags=[tag],
        members=[member],
        scenarios=[scenario],
        featured=True,
    )
    ArticleFactory(slug="older", title="Older story")


def test_from_the_home_page_to_a_scenario(live_server, page, site):
    page.goto(live_server.url + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Energy").first.click()
    expect(page).to_have_url(live_server.url + "/scenarios/?field=energy")
    assert_accessible(page)
    page.get_by_role("link", name="Grid inspection from orbit").click()
    expect(page.locator("h1")).to_have_text("Grid inspection from orbit")
    assert_accessible(page)
    page.get_by_role("link", name="Space Forum").click()
    expect(page.locator("h1")).to_have_text("Space Forum")
    assert_accessible(page)


def test_from_the_home_page_to_search_results(live_server, page, site):
    page.goto(live_server.url + "/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Search"
    ).click()
    page.get_by_label(
        "Search news, members, scenarios, events, initiatives and pages"
    ).fill("grid")
    page.get_by_role("button", name="Search").click()
    expect(
        page.get_by_role("heading", name="Application scenarios (1)")
    ).to_be_visible()
    expect(page.locator("mark").first).to_have_text("Grid")
    assert_accessible(page)


def test_reading_an_article_from_the_news_list(live_server, page, site):
    page.goto(live_server.url + "/news/")
    assert_accessible(page)
    page.get_by_role("link", name="Alliance launched").click()
    expect(page.locator("h1")).to_have_text("Alliance launched")
    expect(page.get_by_role("link", name="Eye in the Sky")).to_be_visible()
    assert_accessible(page)


def test_filtering_the_directory_and_opening_a_profile(live_server, page, site):
    page.goto(live_server.url + "/members/")
    assert_accessible(page)
    page.get_by_role("link", name="Remote sensing").click()
    expect(page.get_by_role("link", name="Rocket Co")).to_have_count(0)
    page.get_by_role("link", name="Eye in the Sky").click()
    expect(page.locator("h1")).to_have_text("Eye in the Sky")
    expect(page.get_by_role("link", name="Alliance launched")).to_be_visible()
    assert_accessible(page)


def test_applying_to_join_with_a_mistake_then_correctly(live_server, page, site):
    page.goto(live_server.url + "/members/join/")
    assert_accessible(page)
    page.get_by_label("Organization name").fill("Orbit Start")
    page.get_by_label("Country").select_option("SG")
    page.get_by_label("What the organization brings").fill("Small satellites.")
    page.get_by_label("Contact person").fill("Ada")
    page.get_by_label("Contact email").fill("not an email")
    page.get_by_role("button", name="Send the application").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Please correct the fields marked below."
    )
    assert_accessible(page)
    page.get_by_label("Contact email").fill("ada@orbit.example")
    page.get_by_role("button", name="Send the application").click()
    expect(page.locator("h1")).to_contain_text("your application has been received")
    assert MembershipApplication.objects.filter(
        organization_name="Orbit Start"
    ).exists()


def test_event_list_and_a_site_page_are_accessible(live_server, page, site):
    for path in ("/events/", "/about/", "/zh-hans/", "/search/?q=nothing-matches"):
        page.goto(live_server.url + path)
        assert_accessible(page)
