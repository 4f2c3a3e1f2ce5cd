import pytest
from playwright.sync_api import expect

from tests.factories import PageFactory
from tests.helpers import axe_violations, format_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_is_accessible_and_keyboard_reachable(live_server, page):
    PageFactory(slug="about", title="About the alliance")
    page.goto(live_server.url + "/")
    expect(page.locator("h1")).to_be_visible()

    # The first Tab lands on the skip link, which moves focus to the content.
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()

    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def test_language_switcher_opens_the_same_page_in_chinese(live_server, page):
    PageFactory(slug="about", title_en="About the alliance", title_zh_hans="关于联盟")
    page.goto(live_server.url + "/about/")
    page.get_by_role("navigation", name="Language").get_by_role(
        "link", name="简体中文"
    ).click()
    expect(page).to_have_url(live_server.url + "/zh-hans/about/")
    expect(page.locator("h1")).to_have_text("关于联盟")
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_pages_read_without_javascript(live_server, browser):
    PageFactory(
        slug="about",
        title="About the alliance",
        body="<h2>Mission</h2><p>Open cooperation.</p>",
    )
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/about/")
    expect(page.locator("h2#mission")).to_have_text("Mission#")
    context.close()


def test_layout_fits_a_phone_screen(live_server, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640})
    page = context.new_page()
    page.goto(live_server.url + "/")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"page is {overflow}px wider than a 320px screen"
    context.close()
