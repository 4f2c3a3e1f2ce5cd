"""The order an article's page links along: what its previous and next links
name, and which pages a change purges for them.

The answers' keys are read through the site (the test client, with the
caching proxy's settings on); the purges as each committed change announces
them. tests/kernel/test_proxy_cache.py checks the same against a real Varnish.
"""

import datetime

import pytest
from django.utils import timezone

from alliance.kernel import neighbours, record_keys
from alliance.kernel.changes import public_content_changed
from alliance.kernel.neighbours import NeighbourOrder
from news.models import Article
from tests.factories import ArticleFactory
from tests.servers import WEB_PORTS, free_port

pytestmark = pytest.mark.django_db
ORDER_KEY = "news.article-neighbours"


@pytest.fixture
def proxy_on(settings):
    """The site marks answers and purges a proxy (one that is not there)."""
    settings.PROXY_PURGE_URLS = [f"http://127.0.0.1:{free_port(WEB_PORTS)}"]
    return settings


@pytest.fixture
def purges():
    """The keys each committed change announces for purging, together."""
    announced = set()

    def listen(sender, tables, keys=(), **kwargs):
        announced.update(keys)

    public_content_changed.connect(listen)
    yield announced
    public_content_changed.disconnect(listen)


@pytest.fixture
def stories():
    """Six published articles, ten days apart: story-0 the newest."""
    now = timezone.now()
    return [
        ArticleFactory(
            slug=f"story-{n}", published_at=now - datetime.timedelta(days=10 * n)
        )
        for n in range(6)
    ]


def key(article):
    return f"news.article-{article.pk}"


def keys_of(client, path):
    answer = client.get(path)
    assert answer.status_code == 200, path
    return set(answer["xkey"].split())


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


# --- What a page names ----------------------------------------------------------


def test_an_article_page_names_its_neighbours_not_the_list(client, proxy_on, stories):
    keys = keys_of(client, "/news/story-2/")

    assert {key(stories[1]), key(stories[2]), key(stories[3]), ORDER_KEY} <= keys
    assert not keys & {key(stories[0]), key(stories[4]), key(stories[5])}
    assert "news.article-list" not in keys and "news.article" not in keys
    assert not [k for k in keys if k.startswith("news.article-by-")]


def test_the_newest_article_page_names_the_one_after_it_only(client, proxy_on, stories):
    keys = keys_of(client, "/news/story-0/")

    assert {key(stories[0]), key(stories[1])} <= keys
    assert not keys & {key(story) for story in stories[2:]}
    assert "news.article-list" not in keys


def test_neighbours_chosen_by_more_than_the_order_are_named_as_a_list(stories):
    story = stories[2]
    with record_keys.collecting() as plain:
        assert Article.objects.links().older_than(story).first() == stories[3]
    with record_keys.collecting() as filtered_after:
        Article.objects.links().older_than(story).filter(featured=True).first()
    with record_keys.collecting() as filtered_before:
        Article.objects.featured().older_than(story).first()
    with record_keys.collecting() as reordered:
        Article.objects.links().older_than(story).order_by("title").first()

    named = plain.keys()
    assert "news.article-list" not in named and ORDER_KEY in named
    for shown in (filtered_after, filtered_before, reordered):
        assert "news.article-list" in list(shown.keys())


# --- What a change purges ---------------------------------------------------------

change = pytest.mark.django_db(transaction=True)


@change
def test_publishing_an_article_purges_the_pages_next_to_it(proxy_on, stories, purges):
    purges.clear()
    new = ArticleFactory(published_at=days_ago(25))

    assert {key(new), key(stories[2]), key(stories[3]), "news.article-list"} <= purges
    assert not purges & {key(s) for s in (stories[0], stories[1], *stories[4:])}
    assert ORDER_KEY not in purges


@change
def test_publishing_a_draft_with_the_admin_action_purges_its_neighbours(
    proxy_on, stories, purges
):
    draft = ArticleFactory(published_at=days_ago(25), status="draft")
    purges.clear()

    Article.objects.filter(pk=draft.pk).publish()

    assert {key(draft), key(stories[2]), key(stories[3]), "news.article-list"} <= purges
    assert not purges & {key(s) for s in (stories[0], stories[1], *stories[4:])}
    assert ORDER_KEY not in purges


@change
def test_unpublishing_purges_the_pages_that_linked_to_it(proxy_on, stories, purges):
    purges.clear()
    story = Article.objects.get(pk=stories[2].pk)
    story.status = "draft"
    story.save()
    saved = set(purges)
    purges.clear()
    Article.objects.filter(pk=stories[4].pk).unpublish()

    assert {key(stories[1]), key(stories[2]), key(stories[3])} <= saved
    assert not saved & {key(s) for s in (stories[0], *stories[4:])}
    # Its neighbours are now story-3 and story-5.
    assert {key(stories[3]), key(stories[4]), key(stories[5])} <= purges
    assert not purges & {key(s) for s in stories[:3]}
    assert ORDER_KEY not in saved | purges


@change
def test_re_dating_purges_its_neighbours_where_it_was_and_where_it_is(
    proxy_on, stories, purges
):
    purges.clear()
    story = Article.objects.get(pk=stories[1].pk)
    story.published_at = days_ago(35)
    story.save()

    was, now = {key(stories[0]), key(stories[2])}, {key(stories[3]), key(stories[4])}
    assert was | now | {key(story)} <= purges
    assert key(stories[5]) not in purges
    assert ORDER_KEY not in purges


@change
def test_deleting_purges_the_pages_that_linked_to_it(proxy_on, stories, purges):
    purges.clear()
    Article.objects.get(pk=stories[2].pk).delete()

    assert {key(stories[1]), key(stories[2]), key(stories[3])} <= purges
    assert not purges & {key(s) for s in (stories[0], *stories[4:])}


@change
def test_an_edit_that_does_not_move_it_purges_no_neighbour(proxy_on, stories, purges):
    purges.clear()
    story = Article.objects.get(pk=stories[2].pk)
    story.body = "<p>New text.</p>"
    story.save()

    # Its neighbours' pages show its title: they carry its key already.
    assert key(story) in purges
    assert not purges & {key(s) for s in stories if s != story}


@change
def test_at_equal_times_the_higher_key_is_listed_first(proxy_on, purges):
    moment = days_ago(2)
    older = ArticleFactory(published_at=days_ago(3))
    same = [ArticleFactory(published_at=moment) for _ in range(3)]
    newer = ArticleFactory(published_at=days_ago(1))
    purges.clear()

    # The highest key at that time: listed first of them, after `newer`.
    new = ArticleFactory(published_at=moment)

    assert {key(newer), key(same[2]), key(new)} <= purges
    assert not purges & {key(same[0]), key(same[1]), key(older)}
    assert Article.objects.links().older_than(new).first() == same[2]
    assert Article.objects.links().newer_than(new).first() == newer


@change
def test_the_newest_article_is_purged_when_a_newer_one_comes(proxy_on, stories, purges):
    purges.clear()
    ArticleFactory(published_at=timezone.now())

    assert key(stories[0]) in purges
    assert not purges & {key(s) for s in stories[1:]}


@change
def test_scheduling_an_article_purges_the_pages_next_to_where_it_will_be(
    proxy_on, stories, purges
):
    later = timezone.now() + datetime.timedelta(hours=1)
    draft = ArticleFactory(
        published_at=later + datetime.timedelta(hours=1), status="draft"
    )
    purges.clear()

    # Saved with a time to come, and published in bulk with one.
    scheduled = ArticleFactory(published_at=later)
    saved = set(purges)
    purges.clear()
    Article.objects.filter(pk=draft.pk).publish()

    # The newest article's page will link to it then: purged now, it is
    # kept no longer than that time.
    assert key(stories[0]) in saved
    assert not saved & {key(s) for s in stories[1:]}
    # Public an hour after it, the draft will come before `scheduled` only.
    assert {key(draft), key(scheduled)} <= purges
    assert not purges & {key(s) for s in stories}
    assert ORDER_KEY not in saved | purges


@change
def test_publishing_one_of_thirty_articles_purges_four_article_pages(
    client, proxy_on, purges
):
    now = timezone.now()
    articles = [
        ArticleFactory(published_at=now - datetime.timedelta(hours=2 * number))
        for number in range(1, 31)
    ]
    shown = {
        article: keys_of(client, article.get_absolute_url()) for article in articles
    }
    purges.clear()

    # Between the 15th and the 16th.
    ArticleFactory(published_at=now - datetime.timedelta(hours=31))

    purged = [article for article, keys in shown.items() if keys & purges]
    # The two beside it, and the two that show those in passing.
    assert purged == articles[13:17]


@change
def test_a_bulk_change_of_many_purges_every_page_along_the_order(proxy_on, purges):
    drafts = ArticleFactory.create_batch(neighbours.MOST_LOOKED_UP + 1, status="draft")
    purges.clear()

    Article.objects.filter(pk__in=[a.pk for a in drafts]).publish()

    assert {ORDER_KEY, "news.article-list"} <= purges


def test_a_partitioned_order_links_and_purges_within_each_part(
    monkeypatch, proxy_on, purges, django_capture_on_commit_callbacks
):
    # Records listed apart by a column's value, as a per-language list would
    # be; the article's own order is put back after the test.
    monkeypatch.setattr(Article, "neighbour_order", Article.neighbour_order)
    order = NeighbourOrder(
        ["-published_at", "-pk"], within="published", partition=["featured"]
    )
    order.contribute_to_class(Article, "neighbour_order")
    a, b, c, d = (
        ArticleFactory(published_at=days_ago(day), featured=day % 2 == 0)
        for day in range(4)
    )

    assert Article.objects.links().older_than(a).first() == c
    assert Article.objects.links().older_than(b).first() == d

    purges.clear()
    with django_capture_on_commit_callbacks(execute=True):
        moved = Article.objects.get(pk=c.pk)
        moved.featured = False
        moved.save()

    # Next to `a` where it was, between `b` and `d` where it is.
    assert {key(a), key(b), key(c), key(d)} <= purges
    assert Article.objects.links().older_than(b).first() == c
    assert order.columns >= {"published_at", "id", "status", "featured"}


def test_an_articles_neighbours_follow_the_news_lists_order():
    order = Article.neighbour_order
    assert order.ordering == Article.objects.newest_first().query.order_by
    assert order.partition == ()
