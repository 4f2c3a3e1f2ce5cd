"""A visitor on a phone (375 px) and on a desktop (1280 px), in English and in Chinese.

What the visitor meets: a chart they can read, the directory's first
members on the first screen, filters behind one button, a reading column
of a comfortable width, a share card that works, the note that a Chinese
page exists, and no accessibility violation on any public page.
"""

import pytest
from django.conf import settings
from playwright.sync_api import expect

from tests.helpers import (
    axe_violations,
    format_violations,
    in_both_languages,
    public_pages,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 800}
DESKTOP = {"width": 1280, "height": 900}
LANGUAGES = [("en", ""), ("zh-hans", "/zh-hans")]


@pytest.fixture
def site(db):
    return public_pages()


def pixels(value):
    return float(value.removesuffix("px"))


def luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground, background):
    lighter, darker = sorted((luminance(foreground), luminance(background)))[::-1]
    return (lighter + 0.05) / (darker + 0.05)


def rgb(css):
    """(r, g, b) of a computed `rgb(...)` colour."""
    return tuple(
        int(float(part)) for part in css[css.index("(") + 1 : -1].split(",")[:3]
    )


@pytest.mark.parametrize("language, prefix", LANGUAGES)
def test_on_a_phone_the_chart_reads_and_the_directory_starts_on_the_first_screen(
    live_server, browser, site, language, prefix
):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()

    page.goto(f"{live_server.url}{prefix}/")
    sizes = page.evaluate(
        """() => ({
          body: getComputedStyle(document.body).fontSize,
          labels: [...document.querySelectorAll('.chart__label')].map(
            e => getComputedStyle(e).fontSize),
          overflow: document.documentElement.scrollWidth - innerWidth,
        })"""
    )
    assert sizes["labels"], "the home page shows the chart"
    assert min(map(pixels, sizes["labels"])) >= pixels(sizes["body"]) >= 16
    assert sizes["overflow"] <= 0

    page.goto(f"{live_server.url}{prefix}/members/")
    first = page.locator(".logo-tile").first
    assert first.bounding_box()["y"] < 800, "the first member is on the first screen"

    # The filters wait behind one button, and work from it.
    filters = page.locator("details[data-filters]")
    toggle = filters.locator("summary")
    expect(toggle).to_be_visible()
    expect(filters.locator(".filters__body")).to_be_hidden()
    toggle.click()
    hong_kong = filters.get_by_role("link", name="Hong Kong" if not prefix else "香港")
    expect(hong_kong).to_be_visible()
    hong_kong.click()
    expect(page).to_have_url(f"{live_server.url}{prefix}/members/?country=HK&page=1")
    expect(page.locator(".logo-tile")).to_have_count(1)
    context.close()


@pytest.mark.parametrize("language, prefix", LANGUAGES)
def test_on_a_desktop_articles_read_at_a_comfortable_width_beside_their_links(
    live_server, browser, site, language, prefix
):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    for path in ("/news/launch/", "/scenarios/flood-maps/"):
        page.goto(f"{live_server.url}{prefix}{path}")
        main = page.locator(".reading__main").bounding_box()
        side = page.locator(".reading__side").bounding_box()
        # About 70 characters of body text: neither a narrow strip nor the whole screen.
        assert 560 <= main["width"] <= 760, (path, main)
        assert side["x"] >= main["x"] + main["width"] + 24, (path, main, side)
        assert abs(side["y"] - main["y"]) < 40, (path, main, side)
        # The links to members and news sit in that column, not under the text.
        related = page.locator(".reading__side .related, .reading__side.related")
        expect(related.first).to_be_visible()
        assert related.first.bounding_box()["x"] >= side["x"], (path, side)
        # The breadcrumbs keep their distance from the header.
        header = page.locator(".site-header").bounding_box()
        crumbs = page.locator(".breadcrumbs ol").bounding_box()
        assert crumbs["y"] - (header["y"] + header["height"]) >= 16

    # On a wide screen the list filters are open beside the list.
    page.goto(f"{live_server.url}{prefix}/members/")
    expect(page.locator("details[data-filters] .filters__body")).to_be_visible()
    context.close()


def test_heading_anchors_show_on_focus_at_aa_contrast(live_server, page, site):
    page.goto(live_server.url + "/news/launch/")
    anchor = page.locator(".prose h2 .anchor").first
    anchor.focus()
    colour = page.evaluate(
        "e => [getComputedStyle(e).color, getComputedStyle(e).opacity]",
        anchor.element_handle(),
    )
    assert colour[1] == "1"
    assert contrast(rgb(colour[0]), (255, 255, 255)) >= 4.5


def test_the_share_card_copies_the_link_and_offers_the_share_sheet_where_there_is_one(
    live_server, browser, site
):
    context = browser.new_context(viewport=PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(live_server.url + "/news/launch/")
    card = page.locator(".share-card")
    expect(card.locator("figcaption")).to_contain_text("another device")
    share = card.get_by_role("button", name="Share…")
    if page.evaluate("typeof navigator.share === 'function'"):
        expect(share).to_be_visible()
    else:
        expect(share).to_be_hidden()
    card.get_by_role("button", name="Copy link").click()
    expect(card.get_by_role("status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == (
        live_server.url + "/news/launch/"
    )
    context.close()


def test_the_share_card_without_javascript_shows_the_address_and_no_dead_buttons(
    live_server, browser, site
):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/news/launch/")
    card = page.locator(".share-card")
    expect(card.get_by_text(live_server.url + "/news/launch/")).to_be_visible()
    expect(card.get_by_role("button")).to_have_count(0)
    context.close()


def test_a_chinese_reader_is_offered_the_chinese_page_and_can_dismiss_the_note(
    live_server, browser, site
):
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/news/launch/")
    note = page.locator("[data-language-notice]")
    expect(note).to_contain_text("本页面也有简体中文版本。")
    expect(page.locator("h1")).to_have_text("The alliance is launched")  # no redirect

    # Dismissed by the script: no page load, the choice kept in the cookie.
    note.get_by_role("button").click()
    expect(note).to_have_count(0)
    assert page.url == live_server.url + "/news/launch/"
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    assert cookies[settings.LANGUAGE_COOKIE_NAME] == "en"
    page.goto(live_server.url + "/members/")
    expect(page.locator("[data-language-notice]")).to_have_count(0)
    context.close()

    # Following the note's link opens the Chinese page and remembers it.
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    page.goto(live_server.url + "/members/geo-lab/")
    page.locator("[data-language-notice]").get_by_role("link").click()
    expect(page).to_have_url(live_server.url + "/zh-hans/members/geo-lab/")
    expect(page.locator("h1")).to_have_text("地理数据实验室")
    page.goto(live_server.url + "/")
    expect(page.locator("[data-language-notice]")).to_have_count(0)
    context.close()


def test_without_javascript_the_note_is_dismissed_through_the_site(
    live_server, browser, site
):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/events/forum/")
    page.locator("[data-language-notice]").get_by_role("button").click()
    expect(page).to_have_url(live_server.url + "/events/forum/")
    expect(page.locator("[data-language-notice]")).to_have_count(0)
    page.goto(live_server.url + "/")
    expect(page.locator("[data-language-notice]")).to_have_count(0)
    context.close()


def test_without_javascript_the_language_switcher_remembers_the_choice(
    live_server, browser, site
):
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/members/")
    page.get_by_role("navigation", name="Language").get_by_role(
        "link", name="English"
    ).click()
    expect(page).to_have_url(live_server.url + "/members/")
    # Chosen: the note about the browser's language stays away on other pages.
    page.goto(live_server.url + "/events/forum/")
    expect(page.locator("[data-language-notice]")).to_have_count(0)
    page.get_by_role("navigation", name="Language").get_by_role(
        "link", name="简体中文"
    ).click()
    expect(page).to_have_url(live_server.url + "/zh-hans/events/forum/")
    context.close()


def test_every_public_page_passes_axe_in_both_languages(live_server, browser, site):
    context = browser.new_context(viewport=PHONE, locale="zh-CN")
    page = context.new_page()
    failures = []
    # English pages carry the language note for this reader: it is checked too.
    for label, path in in_both_languages(site):
        page.goto(live_server.url + path)
        violations = axe_violations(page)
        if violations:
            failures.append(f"{label}: {format_violations(violations)}")
    assert failures == [], "\n".join(failures)
    context.close()
