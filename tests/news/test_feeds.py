import datetime

import feedparser
import pytest
from django.utils import timezone
from lxml import etree

from tests.factories import ArticleFactory, PageFactory

pytestmark = pytest.mark.django_db
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest.mark.parametrize(
    ("path", "version"), [("/news/feed/", "rss20"), ("/news/feed/atom/", "atom10")]
)
def test_feeds_parse_and_list_only_published_articles(client, path, version):
    live = ArticleFactory(title="Live story", summary="Now public.")
    ArticleFactory(title="Draft story", status="draft")
    ArticleFactory(
        title="Later story", published_at=timezone.now() + datetime.timedelta(hours=1)
    )
    feed = feedparser.parse(client.get(path).content)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == version
    assert [entry.title for entry in feed.entries] == ["Live story"]
    assert feed.entries[0].link == "http://testserver" + live.get_absolute_url()


@pytest.mark.parametrize(
    ("path", "site_name"),
    [
        ("/news/feed/atom/", "International Ecological Alliance"),
        ("/zh-hans/news/feed/atom/", "航天信息产业国际生态联盟"),
    ],
)
def test_the_atom_feed_names_the_site_as_its_author(client, settings, path, site_name):
    settings.SITE_NAME = "International Ecological Alliance"
    settings.SITE_NAME_ZH_HANS = "航天信息产业国际生态联盟"
    ArticleFactory(byline="")  # an entry without an author of its own
    ArticleFactory(byline="Li Wei")
    body = client.get(path).content
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.author_detail.name == site_name
    assert feed.feed.author_detail.href.startswith("http://testserver/")
    # RFC 4287: the feed names an author, or else every entry does.
    atom = "{http://www.w3.org/2005/Atom}"
    root = etree.fromstring(body)
    feed_author = root.findtext(f"{atom}author/{atom}name")
    entry_authors = [
        entry.findtext(f"{atom}author/{atom}name")
        for entry in root.iter(f"{atom}entry")
    ]
    assert feed_author == site_name
    assert entry_authors.count("Li Wei") == 1 and None in entry_authors


def test_chinese_feed_carries_chinese_titles(client):
    ArticleFactory(title_en="Launch", title_zh_hans="发射")
    feed = feedparser.parse(client.get("/zh-hans/news/feed/").content)
    assert feed.entries[0].title == "发射"
    assert "/zh-hans/news/" in feed.entries[0].link


def test_control_characters_do_not_break_the_feed(client):
    ArticleFactory(title="Bell\x07 story", summary="Form\x0cfeed")
    response = client.get("/news/feed/atom/")
    assert response.status_code == 200
    assert feedparser.parse(response.content).entries[0].title == "Bell story"


def test_every_page_links_both_feeds(client):
    html = client.get("/").content.decode()
    assert 'type="application/rss+xml"' in html and 'href="/news/feed/"' in html
    assert 'type="application/atom+xml"' in html and 'href="/news/feed/atom/"' in html


def test_sitemap_index_lists_sections_and_articles_carry_lastmod_in_both_languages(
    client,
):
    article = ArticleFactory(slug="live")
    ArticleFactory(slug="draft-one", status="draft")
    PageFactory(slug="about")
    index = etree.fromstring(client.get("/sitemap.xml").content)
    assert index.tag == f"{SITEMAP_NS}sitemapindex"
    sections = [loc.text for loc in index.iter(f"{SITEMAP_NS}loc")]
    assert "http://testserver/sitemap-news.xml" in sections

    urlset = etree.fromstring(client.get("/sitemap-news.xml").content)
    assert urlset.tag == f"{SITEMAP_NS}urlset"
    locations = [
        url.findtext(f"{SITEMAP_NS}loc") for url in urlset.iter(f"{SITEMAP_NS}url")
    ]
    assert "http://testserver/news/live/" in locations
    assert "http://testserver/zh-hans/news/live/" in locations
    assert not any("draft-one" in loc for loc in locations)
    lastmod = urlset.find(f"{SITEMAP_NS}url/{SITEMAP_NS}lastmod").text
    # The sitemap gives the day in the site's time zone, not in UTC.
    assert lastmod == timezone.localdate(article.updated_at).isoformat()


def test_robots_txt_points_at_the_sitemap(client):
    response = client.get("/robots.txt")
    assert response["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in response.content.decode()
    assert "Disallow: /admin/" in response.content.decode()


@pytest.mark.parametrize("path", ["/zh-hans/news/feed/", "/zh-hans/news/feed/atom/"])
def test_chinese_feeds_are_titled_and_described_in_chinese(client, settings, path):
    settings.SITE_NAME = "Example Alliance"
    settings.SITE_NAME_ZH_HANS = "示例联盟"
    ArticleFactory()
    feed = feedparser.parse(client.get(path).content).feed
    assert feed.title == "示例联盟：新闻"
    assert feed.get("description", feed.get("subtitle")) == "联盟最新动态。"


@pytest.mark.parametrize("path", ["/news/feed/", "/news/feed/atom/"])
def test_english_feeds_are_titled_in_english(client, settings, path):
    settings.SITE_NAME = "Example Alliance"
    settings.SITE_NAME_ZH_HANS = "示例联盟"
    feed = feedparser.parse(client.get(path).content).feed
    assert feed.title == "Example Alliance: News"
    assert feed.get("description", feed.get("subtitle")) == (
        "The latest news of the alliance."
    )
