"""The sitemap: every published page in both languages, nothing else, valid XML, fast."""

import datetime
import re

import pytest
from django.utils import timezone
from django.utils.http import http_date
from lxml import etree

from alliance.content.sitemaps import BilingualSitemap
from news.models import Article
from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    MemberFactory,
    PageFactory,
    ScenarioFactory,
)

pytestmark = pytest.mark.django_db

NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ORIGIN = "http://testserver"
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
W3C_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$")


def fetch(client, url):
    response = client.get(url.removeprefix(ORIGIN))
    assert response.status_code == 200, url
    assert response["Content-Type"] == "application/xml"
    return etree.fromstring(response.content)


def check_index(index):
    """A structurally valid sitemap index; return its sitemaps' addresses."""
    assert index.tag == f"{NS}sitemapindex"
    sitemaps = index.findall(f"{NS}sitemap")
    assert 1 <= len(sitemaps) <= 50_000
    locations = []
    for sitemap in sitemaps:
        assert {child.tag for child in sitemap} <= {f"{NS}loc", f"{NS}lastmod"}
        loc = sitemap.findtext(f"{NS}loc")
        assert loc.startswith(f"{ORIGIN}/sitemap-") and len(loc) < 2048
        lastmod = sitemap.findtext(f"{NS}lastmod")
        assert lastmod is None or W3C_DATETIME.match(lastmod), lastmod
        locations.append(loc)
    assert len(set(locations)) == len(locations)
    return locations


def check_urlset(urlset):
    """A structurally valid urlset; return its <url> elements."""
    assert urlset.tag == f"{NS}urlset"
    urls = urlset.findall(f"{NS}url")
    assert len(urls) <= 50_000
    for url in urls:
        loc = url.findtext(f"{NS}loc")
        assert re.match(r"^https?://[^/\s]+/\S*$", loc) and len(loc) < 2048, loc
        lastmod = url.findtext(f"{NS}lastmod")
        assert lastmod is None or DAY.match(lastmod), lastmod
        for link in url.findall(f"{XHTML}link"):
            assert link.get("rel") == "alternate"
            assert link.get("href").startswith(f"{ORIGIN}/")
    return urls


def crawl(client):
    """Every <url> of every page the index lists."""
    urls = []
    for location in check_index(fetch(client, "/sitemap.xml")):
        urls.extend(check_urlset(fetch(client, location)))
    return urls


def alternates(url):
    return {
        link.get("hreflang"): link.get("href") for link in url.findall(f"{XHTML}link")
    }


def test_every_kind_of_published_page_is_listed_in_both_languages(client):
    PageFactory(slug="about")
    ArticleFactory(slug="launch")
    MemberFactory(slug="acme")
    ScenarioFactory(slug="grid")
    EventFactory(slug="forum")
    InitiativeFactory(slug="fund")
    urls = {url.findtext(f"{NS}loc"): url for url in crawl(client)}

    for path in [
        "/", "/news/", "/members/", "/scenarios/", "/events/", "/about/", "/news/launch/",
        "/members/acme/", "/scenarios/grid/", "/events/forum/", "/initiatives/fund/",
    ]:  # fmt: skip
        english, chinese = f"{ORIGIN}{path}", f"{ORIGIN}/zh-hans{path}"
        assert english in urls and chinese in urls, path
        expected = {"en": english, "zh-hans": chinese, "x-default": english}
        assert alternates(urls[english]) == alternates(urls[chinese]) == expected


def test_the_default_address_of_a_page_whose_slug_is_a_language_code(client):
    ArticleFactory(slug="en")
    urls = {url.findtext(f"{NS}loc"): url for url in crawl(client)}
    english = f"{ORIGIN}/news/en/"
    assert alternates(urls[english]) == {
        "en": english,
        "zh-hans": f"{ORIGIN}/zh-hans/news/en/",
        "x-default": english,
    }


def test_no_draft_or_scheduled_content_of_any_kind_is_listed(client):
    PageFactory(slug="hidden-page", status="draft")
    ArticleFactory(slug="hidden-article", status="draft")
    ArticleFactory(
        slug="hidden-scheduled",
        published_at=timezone.now() + datetime.timedelta(hours=1),
    )
    MemberFactory(slug="hidden-member", status="draft")
    ScenarioFactory(slug="hidden-scenario", status="draft")
    EventFactory(slug="hidden-event", status="draft")
    InitiativeFactory(slug="hidden-initiative", status="draft")
    ArticleFactory(slug="visible-article")

    urls = crawl(client)
    listed = [url.findtext(f"{NS}loc") for url in urls]
    listed += [href for url in urls for href in alternates(url).values()]
    assert f"{ORIGIN}/news/visible-article/" in listed
    assert not [loc for loc in listed if "hidden" in loc]


def test_an_article_changed_when_it_was_edited_or_went_live_whichever_is_later(
    client,
):
    now = timezone.now()
    scheduled = ArticleFactory(
        slug="scheduled", published_at=now - datetime.timedelta(days=2)
    )
    edited = ArticleFactory(
        slug="edited", published_at=now - datetime.timedelta(days=20)
    )
    # Edited ten days before it went live; edited since it went live.
    Article.objects.filter(pk=scheduled.pk).update(
        updated_at=now - datetime.timedelta(days=12)
    )
    Article.objects.filter(pk=edited.pk).update(
        updated_at=now - datetime.timedelta(days=5)
    )

    lastmods = {
        url.findtext(f"{NS}loc"): url.findtext(f"{NS}lastmod") for url in crawl(client)
    }
    went_live = timezone.localdate(now - datetime.timedelta(days=2)).isoformat()
    assert lastmods[f"{ORIGIN}/news/scheduled/"] == went_live
    assert lastmods[f"{ORIGIN}/zh-hans/news/scheduled/"] == went_live
    assert (
        lastmods[f"{ORIGIN}/news/edited/"]
        == timezone.localdate(now - datetime.timedelta(days=5)).isoformat()
    )
    index = fetch(client, "/sitemap.xml")
    news = next(
        sitemap
        for sitemap in index.findall(f"{NS}sitemap")
        if "/sitemap-news.xml" in sitemap.findtext(f"{NS}loc")
    )
    latest = datetime.datetime.fromisoformat(news.findtext(f"{NS}lastmod"))
    assert latest == (now - datetime.timedelta(days=2)).replace(microsecond=0)


def test_sections_are_split_into_pages_of_primary_key_ranges(client, monkeypatch):
    monkeypatch.setattr(BilingualSitemap, "limit", 2)
    articles = [ArticleFactory(slug=f"story-{n}") for n in range(5)]
    articles[1].status = "draft"
    articles[1].save()
    published = [article for i, article in enumerate(articles) if i != 1]

    locations = check_index(fetch(client, "/sitemap.xml"))
    pages = [loc for loc in locations if loc.startswith(f"{ORIGIN}/sitemap-news.xml")]
    first = (articles[0].pk - 1) // 2
    last = (articles[-1].pk - 1) // 2
    # Every range from the first article's to the last one's: the bare address
    # is page 1, the first article's range (none of the empty ones before it).
    assert pages == [f"{ORIGIN}/sitemap-news.xml"] + [
        f"{ORIGIN}/sitemap-news.xml?p={page}" for page in range(2, last - first + 2)
    ]
    seen = []
    for page in pages:
        for url in check_urlset(fetch(client, page)):
            seen.append(url.findtext(f"{NS}loc"))
    assert seen.count(f"{ORIGIN}/news/story-0/") == 1
    assert sorted(seen) == sorted(
        f"{ORIGIN}{prefix}/news/{article.slug}/"
        for article in published
        for prefix in ("", "/zh-hans")
    )
    # Page 1 holds the first article, and the bare address is page 1.
    assert f"{ORIGIN}/news/story-0/" in [
        url.findtext(f"{NS}loc")
        for url in fetch(client, "/sitemap-news.xml?p=1").findall(f"{NS}url")
    ]
    assert (
        client.get("/sitemap-news.xml?p=1").content
        == client.get("/sitemap-news.xml").content
    )


@pytest.mark.parametrize(
    "path",
    [
        "/sitemap-nothing.xml",
        "/sitemap-news.xml?p=0",
        "/sitemap-news.xml?p=abc",
        "/sitemap-news.xml?p=%C2%B2",
        "/sitemap-news.xml?p=99999999999999999999",
        "/sitemap-news.xml?p=900000",
        "/sitemap-static.xml?p=2",
    ],
)
def test_unknown_sections_and_pages_are_not_found(client, path):
    ArticleFactory()
    assert client.get(path).status_code == 404


def test_sitemaps_answer_conditional_requests(client):
    ArticleFactory(slug="launch")
    for path in ["/sitemap.xml", "/sitemap-news.xml"]:
        response = client.get(path)
        assert response["X-Robots-Tag"].startswith("noindex")
        again = client.get(
            path, headers={"If-Modified-Since": response["Last-Modified"]}
        )
        assert again.status_code == 304
        stale = http_date((timezone.now() - datetime.timedelta(days=1)).timestamp())
        assert client.get(path, headers={"If-Modified-Since": stale}).status_code == 200


def test_the_sitemap_costs_a_few_queries_however_much_content_there_is(
    client, assert_max_queries
):
    ArticleFactory.create_batch(30)
    members = MemberFactory.create_batch(10)
    with assert_max_queries(9):  # the change time, the last change, one per section
        client.get("/sitemap.xml")
    with assert_max_queries(3):  # the last change, the first page, its objects
        client.get("/sitemap-news.xml")
    # The first page holds the first members, however high their keys.
    with assert_max_queries(3):  # the last change, where the pages start, the page
        response = client.get("/sitemap-members.xml?p=1")
    assert members[0].slug in response.content.decode()
