"""A reader whose browser prefers Chinese is told, on English pages, that a Chinese page exists."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.kernel.language_notice import suggested_language
from tests.factories import ArticleFactory, PageFactory

pytestmark = pytest.mark.django_db

CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.8"}
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9,zh;q=0.5"}
NOTE = b"data-language-notice"


@pytest.fixture(autouse=True)
def _about_page(db):
    PageFactory(slug="about", title_en="About", title_zh_hans="关于")


def note_links(html):
    """The note's link to the Chinese page, parsed: (path, query)."""
    match = re.search(r'<a class="button" href="([^"]+)" hreflang="zh-hans"', html)
    href = match.group(1).replace("&amp;", "&")
    parts = urlsplit(href)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


@pytest.mark.parametrize(
    "header, expected",
    [
        ("zh-CN,zh;q=0.9", "zh-hans"),
        ("zh-TW", "zh-hans"),
        ("zh-Hans-CN", "zh-hans"),
        ("en-US,zh-CN;q=0.8", None),
        ("fr-FR,zh;q=0.7,en;q=0.5", "zh-hans"),  # the first language the site has
        ("de-DE", None),
        ("*", None),
        ("", None),
        ("zh;q=nonsense", None),
    ],
)
def test_the_preferred_language_is_the_first_one_the_site_offers(rf, header, expected):
    request = rf.get("/about/", HTTP_ACCEPT_LANGUAGE=header)
    assert suggested_language(request) == expected


def test_an_english_page_tells_a_chinese_reader_about_the_chinese_page(client):
    response = client.get("/about/?x=1", **CHINESE)
    html = response.content.decode()
    assert response.status_code == 200
    assert NOTE in response.content
    # Written in the reader's language, and no redirect.
    assert "本页面也有简体中文版本。" in html
    assert 'lang="zh-hans"' in html and "<h1>About</h1>" in html
    path, query = note_links(html)
    assert path == "/i18n/language/"
    assert query == {"language": "zh-hans", "next": "/zh-hans/about/?x=1"}
    # Dismissing, without JavaScript: a GET form back to this page.
    assert re.search(
        r'<form class="language-notice__dismiss" method="get" action="/i18n/language/"',
        html,
    )
    assert '<input type="hidden" name="language" value="en">' in html
    assert '<input type="hidden" name="next" value="/about/?x=1">' in html
    # This page is for this reader alone.
    assert "private" in response["Cache-Control"]
    assert {"Accept-Language", "Cookie"} <= {
        v.strip() for v in response["Vary"].split(",")
    }


@pytest.mark.parametrize(
    "path, headers, cookies",
    [
        ("/about/", ENGLISH, {}),
        ("/about/", {}, {}),
        ("/zh-hans/about/", CHINESE, {}),  # already Chinese
        ("/about/", CHINESE, {settings.LANGUAGE_COOKIE_NAME: "en"}),  # chose English
        ("/about/", CHINESE, {settings.LANGUAGE_COOKIE_NAME: "zh-hans"}),
    ],
)
def test_no_note_for_other_readers(client, path, headers, cookies):
    client.cookies.load(cookies)
    response = client.get(path, **headers)
    assert response.status_code == 200
    assert NOTE not in response.content
    assert "private" not in response.get("Cache-Control", "")


def test_choosing_chinese_remembers_it_and_opens_the_chinese_page(client):
    response = client.get(
        "/i18n/language/", {"language": "zh-hans", "next": "/zh-hans/about/"}, **CHINESE
    )
    assert response.status_code == 302
    assert response["Location"] == "/zh-hans/about/"
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "zh-hans"
    assert int(cookie["max-age"]) >= 180 * 24 * 3600
    assert cookie["samesite"] == "Lax"
    # Back on an English page, the note stays away.
    assert NOTE not in client.get("/about/", **CHINESE).content


def test_dismissing_remembers_english_and_returns_to_the_page(client):
    assert NOTE in client.get("/about/", **CHINESE).content
    response = client.get(
        "/i18n/language/", {"language": "en", "next": "/about/?x=1"}, **CHINESE
    )
    assert response.status_code == 302
    assert response["Location"] == "/about/?x=1"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert NOTE not in client.get("/about/", **CHINESE).content


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", ""]
)
def test_the_choice_only_returns_to_this_site(client, next_url):
    response = client.get("/i18n/language/", {"language": "en", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("language", ["", "fr", "zh-hans<script>"])
def test_an_unknown_language_is_a_clear_400(client, language):
    response = client.get("/i18n/language/", {"language": language, "next": "/"})
    assert response.status_code == 400
    assert b"Unknown language" in response.content
    assert settings.LANGUAGE_COOKIE_NAME not in response.cookies


def test_the_shared_cache_never_serves_the_note_to_others(client, settings):
    settings.RESPONSE_CACHE_SECONDS = 300
    ArticleFactory(slug="story", title="Story")

    # A Chinese reader first: the page with the note is not stored.
    assert NOTE in client.get("/news/story/", **CHINESE).content
    english = client.get("/news/story/", **ENGLISH)
    assert NOTE not in english.content

    # The English page is now cached; the Chinese reader still gets the note,
    # rendered for them, and other readers keep getting the cached page.
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/news/story/", **ENGLISH)
    # A cache hit reads only the time of the last change (see response_cache).
    assert len(queries) == 1 and again.content == english.content
    with CaptureQueriesContext(connection) as queries:
        chinese = client.get("/news/story/", **CHINESE)
    assert len(queries) > 1 and NOTE in chinese.content

    # Once the reader has chosen, they get the shared cached page too.
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    with CaptureQueriesContext(connection) as queries:
        chosen = client.get("/news/story/", **CHINESE)
    assert len(queries) == 1 and chosen.content == english.content
