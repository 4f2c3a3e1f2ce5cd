"""The query shapes of news: what each kind of page reads of articles and tags."""

import datetime

import pytest
from django.utils import timezone

from alliance.kernel.translated import columns
from news.models import Article, Tag
from tests.factories import ArticleFactory, EventFactory, MemberFactory, TagFactory

pytestmark = pytest.mark.django_db

# Every row also has its key, which `only()` always reads.
LINK = {"id", "slug", "status", *columns("title"), "published_at"}


def loaded(obj):
    """The columns read from the database (the others wait, deferred)."""
    return {f.attname for f in obj._meta.concrete_fields} - obj.get_deferred_fields()


def test_cards_leave_the_body_and_source_behind_and_bring_published_tags(
    django_assert_num_queries,
):
    public, hidden = (
        TagFactory(slug="public"),
        TagFactory(slug="hidden", status="draft"),
    )
    ArticleFactory(tags=[public, hidden])
    ArticleFactory(status="draft")
    with django_assert_num_queries(2):  # the articles, then all their tags
        cards = list(Article.objects.published().cards())
        tags = [list(card.tags.all()) for card in cards]
    assert len(cards) == 1
    assert {"body", *columns("body"), "byline", "source_name", "source_url"} <= (
        cards[0].get_deferred_fields()
    )
    assert {"summary", "cover_small", "featured"} <= loaded(cards[0])
    assert tags == [[public]]
    assert loaded(tags[0][0]) == {"id", "slug", "status", *columns("name")}


def test_teasers_read_what_the_home_page_shows():
    ArticleFactory()
    (teaser,) = Article.objects.published().teasers()
    assert loaded(teaser) == {
        "id", "slug", "status", *columns("title", "summary"), "published_at", "featured",
    }  # fmt: skip


def test_links_read_a_link_and_what_a_prefetch_asks():
    event = EventFactory()
    ArticleFactory(event=event)
    assert loaded(Article.objects.links().get()) == LINK
    assert loaded(Article.objects.links("event").get()) == LINK | {"event_id"}


def test_for_detail_brings_the_event_in_the_same_query(django_assert_num_queries):
    article = ArticleFactory(event=EventFactory(name="Forum"))
    with django_assert_num_queries(1):
        assert Article.objects.for_detail().get(pk=article.pk).event.name == "Forum"


def test_tagged_and_about_member_filter():
    tag, member = TagFactory(), MemberFactory()
    tagged, about, neither = (
        ArticleFactory(tags=[tag]),
        ArticleFactory(members=[member]),
        ArticleFactory(),
    )
    assert list(Article.objects.tagged(tag)) == [tagged]
    assert list(Article.objects.about_member(member)) == [about]
    assert neither not in Article.objects.tagged(tag) | Article.objects.about_member(
        member
    )


def test_neighbours_walk_the_news_list_in_its_order_even_at_equal_times():
    now = timezone.now()
    moment = now - datetime.timedelta(hours=2)
    oldest = ArticleFactory(published_at=now - datetime.timedelta(days=1))
    # Three published at the same moment: the list shows the higher key first.
    same = [ArticleFactory(published_at=moment) for _ in range(3)]
    ArticleFactory(published_at=moment, status="draft")
    newest = ArticleFactory(published_at=now - datetime.timedelta(minutes=1))
    ArticleFactory(published_at=now + datetime.timedelta(days=1))  # scheduled
    listed = list(Article.objects.published().newest_first())
    assert listed == [newest, *reversed(same), oldest]

    articles = Article.objects.published().links()
    walk = [listed[0]]
    while (older := articles.older_than(walk[-1]).first()) is not None:
        walk.append(older)
    assert walk == listed
    back = [listed[-1]]
    while (newer := articles.newer_than(back[-1]).first()) is not None:
        back.append(newer)
    assert back == listed[::-1]
    # Neither list reaches the article itself, drafts or scheduled articles.
    assert same[1] not in articles.older_than(same[1])
    assert list(articles.older_than(same[1])) == [same[0], oldest]
    assert list(articles.newer_than(same[1])) == [same[2], newest]


def test_tag_links_read_a_link():
    TagFactory()
    assert loaded(Tag.objects.links().get()) == {
        "id",
        "slug",
        "status",
        *columns("name"),
    }
