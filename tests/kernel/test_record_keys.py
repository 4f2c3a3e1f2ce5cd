"""Surrogate keys record by record, and the purge tasks that follow a change.

The answers' keys are read through the site (the test client, with the
caching proxy's settings on); the purges through a real HTTP server that
answers PURGE as Varnish does, or does not answer at all, and through the
database queue a worker runs (`run_tasks`). tests/kernel/test_proxy_cache.py
checks the same against a real Varnish.
"""

import datetime
import http.server
import threading

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from alliance.kernel import record_keys
from alliance.kernel.changes import public_content_changed
from alliance.kernel.proxy_cache import RETRY_AFTER, purge_keys
from alliance.kernel.tasks import retry_failed
from news.models import Article, Tag
from tests.factories import ArticleFactory, EventFactory, MemberFactory, TagFactory
from tests.helpers import run_tasks
from tests.servers import WEB_PORTS, free_port

pytestmark = pytest.mark.django_db


@pytest.fixture
def proxy_on(settings):
    """The site marks answers and purges a proxy (one that is not there)."""
    settings.PROXY_PURGE_URLS = [f"http://127.0.0.1:{free_port(WEB_PORTS)}"]
    return settings


def keys_of(client, path, **headers):
    answer = client.get(path, **headers)
    assert answer.status_code == 200, path
    return set(answer["xkey"].split())


@pytest.fixture
def purges():
    """The keys each committed change announces for purging."""
    announced = []

    def listen(sender, tables, keys=(), **kwargs):
        announced.append(set(keys))

    public_content_changed.connect(listen)
    yield announced
    public_content_changed.disconnect(listen)


# --- What an answer names -----------------------------------------------------


@pytest.fixture
def article_shown():
    """An article with a member and a tag that its answers show in passing."""
    member = MemberFactory(slug="acme")
    tag = TagFactory(slug="energy")
    article = ArticleFactory(slug="grid")
    article.members.add(member)
    article.tags.add(tag)
    return {
        f"news.article-{article.pk}",
        f"members.member-{member.pk}",
        f"news.tag-{tag.pk}",
    }


def test_a_detail_page_names_its_record_and_what_it_shows_in_passing(
    client, proxy_on, article_shown
):
    keys = keys_of(client, "/news/grid/")

    assert article_shown | {"section-news", "lang-en"} <= keys
    # Neither the model as a whole nor the tags' or members' lists.
    assert not keys & {"news.article", "members.member", "news.tag", "news.tag-list"}


def test_an_api_item_names_the_records_it_nests(client, proxy_on, article_shown):
    keys = keys_of(client, "/api/v1/news/grid/")

    assert article_shown <= keys
    assert not keys & {"news.article", "members.member", "news.tag"}


def test_a_list_names_its_list_the_columns_it_chooses_by_and_its_rows(client, proxy_on):
    shown = [ArticleFactory(title=f"Story {number}") for number in range(3)]

    keys = keys_of(client, "/api/v1/news/")

    assert {"news.article-list", "news.article-by-status"} <= keys
    assert "news.article-by-published_at" in keys
    assert {f"news.article-{article.pk}" for article in shown} <= keys
    # Not a column it neither filters nor orders by.
    assert "news.article-by-body_en" not in keys


def test_a_record_asked_for_and_not_found_names_the_list_it_may_join():
    with record_keys.collecting() as shown:
        assert Article.objects.published().filter(slug="not-yet").first() is None

    keys = shown.keys()
    assert "news.article-list" in keys
    assert "news.article-by-slug" in keys


def test_a_count_or_values_names_the_model_as_a_whole():
    ArticleFactory()
    with record_keys.collecting() as shown:
        Article.objects.published().count()
        list(Tag.objects.values_list("slug", flat=True))

    assert {"news.article", "news.tag"} <= set(shown.keys())


def test_past_the_cap_the_model_stands_in_for_its_records(client, proxy_on):
    ArticleFactory.create_batch(record_keys.MAX_RECORD_KEYS + 6)

    keys = keys_of(client, "/api/v1/news/", QUERY_STRING="page_size=100")

    assert "news.article" in keys
    assert not [
        key for key in keys if key.startswith("news.article-") and key[-1].isdigit()
    ]
    assert len(" ".join(keys)) < 4000


def test_a_fragment_served_from_the_cache_names_what_it_showed(
    client, proxy_on, settings
):
    settings.RESPONSE_CACHE_SECONDS = 0  # every page rendered, its parts kept
    member = MemberFactory(slug="acme")
    article = ArticleFactory(slug="grid")
    article.members.add(member)

    first = keys_of(client, "/news/grid/")
    with CaptureQueriesContext(connection) as again:
        second = keys_of(client, "/news/grid/")

    assert f"members.member-{member.pk}" in first
    assert not [q for q in again.captured_queries if "members_member" in q["sql"]]
    assert second == first


def test_the_response_cache_keeps_the_keys_with_the_answer(client, proxy_on, settings):
    settings.RESPONSE_CACHE_SECONDS = 300
    ArticleFactory(slug="grid")

    first = keys_of(client, "/news/grid/")
    with CaptureQueriesContext(connection) as again:
        second = keys_of(client, "/news/grid/")

    assert len(again.captured_queries) <= 1  # the generation, nothing else
    assert second == first


# --- What a change purges ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_edit_purges_its_record_and_the_columns_it_changed(proxy_on, purges):
    article = ArticleFactory(slug="grid")
    tag = TagFactory()
    article.tags.add(tag)
    purges.clear()

    article = Article.objects.get(pk=article.pk)
    article.body = "<p>New text.</p>"
    article.save()

    [keys] = purges
    assert {
        f"news.article-{article.pk}",
        "news.article",
        "news.article-by-body",
    } <= keys
    # Its tags' pages list it: their keys go too.
    assert f"news.tag-{tag.pk}" in keys
    # Lists choose and order by other columns, and no record came or went.
    assert "news.article-list" not in keys
    assert "news.article-by-published_at" not in keys


@pytest.mark.django_db(transaction=True)
def test_publishing_a_new_record_or_deleting_one_purges_the_list(proxy_on, purges):
    article = ArticleFactory(slug="grid")
    created = purges[-1]
    purges.clear()
    pk = article.pk
    Article.objects.get(pk=pk).delete()

    assert {f"news.article-{pk}", "news.article-list"} <= created
    assert any({f"news.article-{pk}", "news.article-list"} <= keys for keys in purges)
    # The tombstones' list shows the deletion.
    assert any("kernel.tombstone-list" in keys for keys in purges)


@pytest.mark.django_db(transaction=True)
def test_a_bulk_unpublish_purges_each_record_and_the_lists(proxy_on, purges):
    articles = ArticleFactory.create_batch(2)
    purges.clear()

    Article.objects.filter(pk__in=[a.pk for a in articles]).unpublish()

    keys = set().union(*purges)
    assert {f"news.article-{a.pk}" for a in articles} <= keys
    assert {"news.article-list", "news.article-by-status"} <= keys


@pytest.mark.django_db(transaction=True)
def test_a_member_renamed_purges_the_articles_that_name_it(proxy_on, purges):
    member = MemberFactory(name="Acme Rockets")
    article = ArticleFactory()
    article.members.add(member)
    purges.clear()

    member.name = "Acme Space"
    member.save()

    keys = set().union(*purges)
    assert {f"members.member-{member.pk}", f"news.article-{article.pk}"} <= keys
    # Its change time moved: the API lists asked `updated_since` gain it.
    assert "news.article-by-updated_at" in keys


# --- Purge tasks: retried, scheduled ------------------------------------------


class PurgeReceiver(http.server.BaseHTTPRequestHandler):
    received = []

    def do_PURGE(self):  # noqa: N802 - the method's name
        self.received.append(self.headers["xkey"])
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def listening(port):
    server = http.server.HTTPServer(("127.0.0.1", port), PurgeReceiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_a_proxy_that_is_down_is_purged_again_later_then_the_task_fails(
    database_tasks, settings
):
    port = free_port(WEB_PORTS)
    settings.PROXY_PURGE_URLS = [f"http://127.0.0.1:{port}"]
    PurgeReceiver.received = []

    purge_keys.enqueue(keys=["news.article-7"])
    started = timezone.now()
    assert run_tasks() == 1
    [retry] = DBTaskResult.objects.filter(status="READY")
    # Not yet: it waits before asking again.
    assert run_tasks() == 0

    server = listening(port)
    try:
        DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
        assert run_tasks() == 1
    finally:
        server.shutdown()
        server.server_close()

    assert retry.run_after - started >= datetime.timedelta(seconds=RETRY_AFTER[0])
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert PurgeReceiver.received == ["news.article-7"]
    assert not DBTaskResult.objects.filter(status="FAILED").exists()

    # Down for good: asked again with growing waits, then the task fails.
    purge_keys.enqueue(keys=["news.article-8"])
    waits = []
    for _attempt in range(len(RETRY_AFTER) + 1):
        DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
        before = timezone.now()
        assert run_tasks() == 1
        for queued in DBTaskResult.objects.filter(status="READY"):
            waits.append((queued.run_after - before).total_seconds())
    [failed] = DBTaskResult.objects.filter(status="FAILED")
    assert "ProxyNotPurged" in failed.exception_class_path
    assert [round(wait) for wait in waits] == list(RETRY_AFTER)
    # Not lost: the admin's "Run again" puts it back in the queue.
    assert retry_failed([failed]) == 1


def test_a_scheduled_article_and_an_event_schedule_their_purges(
    database_tasks, proxy_on, django_capture_on_commit_callbacks
):
    when = (timezone.now() + datetime.timedelta(hours=2)).replace(microsecond=0)
    with django_capture_on_commit_callbacks(execute=True):
        article = ArticleFactory(published_at=when)
        event = EventFactory(
            starts_on=timezone.localdate(), ends_on=timezone.localdate()
        )

    scheduled = {
        result.args_kwargs["kwargs"]["label"]: result
        for result in DBTaskResult.objects.filter(
            task_path="alliance.kernel.proxy_cache.purge_when_due"
        )
    }
    tomorrow = datetime.datetime.combine(
        timezone.localdate() + datetime.timedelta(days=1), datetime.time.min
    )

    assert scheduled["news.article"].run_after == when
    assert scheduled["news.article"].args_kwargs["kwargs"]["pk"] == article.pk
    # The event becomes past at midnight after its last day.
    assert scheduled["alliance.event"].run_after == timezone.make_aware(tomorrow)
    assert scheduled["alliance.event"].args_kwargs["kwargs"]["pk"] == event.pk


def test_a_scheduled_article_purges_its_neighbours_pages_at_its_time(
    database_tasks, settings, django_capture_on_commit_callbacks
):
    port = free_port(WEB_PORTS)
    settings.PROXY_PURGE_URLS = [f"http://127.0.0.1:{port}"]
    now = timezone.now()
    newest, older = (
        ArticleFactory(published_at=now - datetime.timedelta(days=days))
        for days in (1, 2)
    )
    when = now + datetime.timedelta(hours=2)
    with django_capture_on_commit_callbacks(execute=True):
        scheduled = ArticleFactory(published_at=when)
    DBTaskResult.objects.exclude(
        task_path="alliance.kernel.proxy_cache.purge_when_due"
    ).delete()
    PurgeReceiver.received = []

    server = listening(port)
    try:
        with time_machine.travel(when + datetime.timedelta(seconds=1), tick=False):
            assert run_tasks() == 1
    finally:
        server.shutdown()
        server.server_close()

    [purged] = [set(keys.split()) for keys in PurgeReceiver.received]
    # Public at its time, it comes before `newest`: that page's link changes.
    assert {f"news.article-{scheduled.pk}", f"news.article-{newest.pk}"} <= purged
    assert {"news.article-list", "news.article-by-published_at"} <= purged
    # Not every article page, nor one its arrival leaves alone.
    assert "news.article-neighbours" not in purged
    assert f"news.article-{older.pk}" not in purged
