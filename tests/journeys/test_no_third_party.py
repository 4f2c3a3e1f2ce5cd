"""Readers in mainland China get the whole site: no page loads anything from another host."""

from urllib.parse import urljoin, urlparse

import pytest

from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    MemberFactory,
    PageFactory,
    ScenarioFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

START = [
    "/",
    "/zh-hans/",
    "/members/join/",
    "/search/?q=grid",
    "/embed/members/",
    "/api/docs/",
]
MAX_PAGES = 40


def is_page(path):
    """Pages to visit: not downloads (calendar, CSV, feeds, schema), the admin or files."""
    if path.startswith(("/admin", "/media", "/static", "/api/")):
        return False
    return not path.endswith((".ics", ".csv", ".xml")) and "/feed" not in path


def test_no_page_requests_anything_from_another_host(live_server, page):
    from django.core.files.base import ContentFile

    from members.demo import draw_logo

    PageFactory(slug="about")
    member = MemberFactory(slug="acme", website="https://acme.example")
    member.logo.save(
        "acme.png", ContentFile(draw_logo("Acme", "#0b3a6f").read()), save=True
    )
    ArticleFactory(
        slug="launch", source_url="https://news.example.org/story", members=[member]
    )
    ScenarioFactory(slug="grid")
    EventFactory(slug="forum")
    InitiativeFactory(slug="fund")

    host = urlparse(live_server.url).netloc
    foreign = []
    page.on(
        "request",
        lambda request: (
            urlparse(request.url).netloc not in (host, "")
            and foreign.append(request.url)
        ),
    )

    queue, seen = list(START), set()
    while queue and len(seen) < MAX_PAGES:
        path = queue.pop(0)
        if path in seen or (path not in START and not is_page(urlparse(path).path)):
            continue
        seen.add(path)
        page.goto(live_server.url + path)
        for href in page.eval_on_selector_all(
            "a[href]", "links => links.map(a => a.getAttribute('href'))"
        ):
            url = urlparse(urljoin(live_server.url + path, href))
            if (
                url.netloc == host
                and not url.path.startswith(("/admin", "/media", "/static", "/i18n/"))
                and not url.path.endswith((".ics", ".csv", ".xml"))
                and "/feed" not in url.path
            ):
                queue.append(url.path + (f"?{url.query}" if url.query else ""))

    assert len(seen) >= 25, seen
    assert {"/members/acme/", "/zh-hans/news/launch/", "/scenarios/grid/"} <= seen
    assert foreign == [], f"requests left the site: {foreign}"
