import datetime
import json
import re

import pytest
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    EventFactory,
    MemberFactory,
    ScenarioFactory,
    TagFactory,
)
from tests.helpers import assert_valid_html

pytestmark = pytest.mark.django_db


def future():
    return timezone.now() + datetime.timedelta(days=2)


@pytest.fixture
def hidden_articles():
    return [
        ArticleFactory(title="Hidden draft story", status="draft"),
        ArticleFactory(title="Hidden scheduled story", published_at=future()),
    ]


def test_news_list_shows_published_articles_newest_first(client):
    older = ArticleFactory(
        title="Older story", published_at=timezone.now() - datetime.timedelta(days=3)
    )
    newer = ArticleFactory(
        title="Newer story", published_at=timezone.now() - datetime.timedelta(days=1)
    )
    html = client.get("/news/").content.decode()
    assert html.index(newer.title) < html.index(older.title)
    assert_valid_html(html)


def test_drafts_and_scheduled_articles_are_absent_from_every_news_surface(
    client, hidden_articles
):
    visible = ArticleFactory(title="Visible story")
    tag = TagFactory(slug="policy")
    member = MemberFactory(slug="acme")
    for article in [visible, *hidden_articles]:
        article.tags.add(tag)
        article.members.add(member)
    pages = [
        "/news/",
        "/news/?tag=policy",
        "/news/?member=acme",
        "/news/?q=story",
        "/news/feed/",
        "/news/feed/atom/",
        "/zh-hans/news/feed/",
        "/sitemap-news.xml",
        "/search/?q=story",
        "/",
        visible.get_absolute_url(),
        "/members/acme/",
    ]
    for path in pages:
        body = client.get(path).content.decode()
        assert "Hidden" not in body, path
    for article in hidden_articles:
        assert client.get(article.get_absolute_url()).status_code == 404


def test_article_page_has_source_related_items_and_structured_data(client):
    member = MemberFactory(name="Acme Launch")
    hidden_member = MemberFactory(name="Secret Member", status="draft")
    scenario = ScenarioFactory(title="Flood mapping")
    event = EventFactory(name="Launch Forum")
    article = ArticleFactory(
        title="A <b>bold</b> launch",
        source_name="Example Daily",
        source_url="https://news.example.org/story",
        source_published_on=datetime.date(2023, 11, 21),
        event=event,
        members=[member, hidden_member],
        scenarios=[scenario],
    )
    response = client.get(article.get_absolute_url())
    html = response.content.decode()
    assert_valid_html(html)
    assert (
        '<a href="https://news.example.org/story" rel="noopener">Example Daily</a>'
        in html
    )
    assert "Acme Launch" in html and "Secret Member" not in html
    assert "Flood mapping" in html and "Launch Forum" in html
    assert (
        '<meta property="og:title" content="A &lt;b&gt;bold&lt;/b&gt; launch">' in html
    )
    assert 'name="twitter:card"' in html
    data = json.loads(
        re.search(
            r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S
        ).group(1)
    )
    assert data["@type"] == "NewsArticle"
    assert data["headline"] == "A <b>bold</b> launch"
    assert data["isBasedOn"] == "https://news.example.org/story"


def test_structured_data_cannot_close_its_script_element(client):
    article = ArticleFactory(title="</script><script>alert(1)</script>")
    html = client.get(article.get_absolute_url()).content.decode()
    assert "</script><script>alert(1)" not in html
    assert "\\u003C/script\\u003E" in html


def test_previous_and_next_skip_unpublished_articles(client):
    now = timezone.now()
    first = ArticleFactory(title="First", published_at=now - datetime.timedelta(days=3))
    ArticleFactory(
        title="Hidden middle",
        status="draft",
        published_at=now - datetime.timedelta(days=2),
    )
    last = ArticleFactory(title="Last", published_at=now - datetime.timedelta(days=1))
    html = client.get(first.get_absolute_url()).content.decode()
    assert f'rel="next" href="{last.get_absolute_url()}"' in html
    assert "Hidden middle" not in html


def test_staff_preview_shows_a_draft_marked_as_such(client, admin_client):
    draft = ArticleFactory(title="Draft story", status="draft")
    assert client.get(draft.get_absolute_url() + "?preview").status_code == 404
    response = admin_client.get(draft.get_absolute_url() + "?preview")
    assert response.status_code == 200
    assert "Preview: this article is not public yet." in response.content.decode()
    assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("tag=nope", "Unknown topic"),
        ("member=nobody", "Unknown member"),
        ("page=abc", "whole number"),
    ],
)
def test_bad_filters_get_a_400_that_says_why(client, query, message):
    response = client.get(f"/news/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_page_past_the_end_is_not_found(client):
    ArticleFactory()
    assert client.get("/news/?page=99").status_code == 404


def test_search_in_the_news_matches_either_language(client):
    ArticleFactory(title_en="Energy grid", title_zh_hans="能源电网")
    ArticleFactory(title_en="Something else", title_zh_hans="其他")
    html = client.get("/news/?q=能源").content.decode()
    assert "Energy grid" in html and "Something else" not in html


@pytest.mark.parametrize("count", [3, 30])
def test_news_list_query_count_does_not_grow_with_articles(
    client, assert_max_queries, count
):
    tags = TagFactory.create_batch(3)
    for _ in range(count):
        ArticleFactory(tags=tags)
    with assert_max_queries(7):  # with the read of the change time
        assert client.get("/news/").status_code == 200


@pytest.mark.parametrize("count", [1, 20])
def test_article_query_count_does_not_grow_with_relations(
    client, assert_max_queries, count
):
    article = ArticleFactory(
        tags=TagFactory.create_batch(count),
        members=MemberFactory.create_batch(count),
        scenarios=ScenarioFactory.create_batch(count),
    )
    with assert_max_queries(9):  # with the read of the change time
        assert client.get(article.get_absolute_url()).status_code == 200


def test_pages_read_from_the_end_of_the_list_match_those_read_from_its_start(client):
    # Ties on the publication time are broken by the key, both ways.
    moment = timezone.now() - datetime.timedelta(days=1)
    articles = [
        ArticleFactory(published_at=moment - datetime.timedelta(hours=i // 3))
        for i in range(30)
    ]
    expected = sorted(articles, key=lambda a: (a.published_at, a.pk), reverse=True)
    slugs = [article.slug for article in expected]
    shown = []
    for page in (1, 2, 3):
        html = client.get(f"/news/?page={page}").content.decode()
        shown += [
            s for s in re.findall(r'href="/news/([^/"?#]+)/"', html) if s in slugs
        ]
    assert list(dict.fromkeys(shown)) == slugs
    last = client.get("/news/?page=last").content.decode()
    assert [s for s in re.findall(r'href="/news/([^/"?#]+)/"', last) if s in slugs][
        :1
    ] == slugs[24:25]
