"""The caching proxy, for real: varnishd with deploy/varnish/site.vcl in front of gunicorn.

An editor publishes, edits and withdraws an article in the admin; each
change is on the page through the proxy at the next request, because the
site purged the proxy before the admin answered (the purge task runs at the
commit here). Editing one article leaves the other articles' pages in the
proxy; publishing, deleting or re-dating one refreshes the pages next to it
(their previous and next links) and leaves the others; a member or tag renamed, a deletion and a scheduled article's time
each drop exactly the answers that show them. Signed-in staff and personal
pages go through, never stored.
"""

import datetime
import gzip
import os
import re
import shutil
import time
import urllib.request

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from alliance.kernel.proxy_cache import purge, purge_when_due
from members.models import Member
from news.models import Article, Tag
from tests.factories import ArticleFactory, MemberFactory, TagFactory
from tests.helpers import role_group
from tests.servers import Gunicorn, Varnish, site_env

pytestmark = [
    pytest.mark.skipif(
        not shutil.which("varnishd") and not os.environ.get("CI"),
        reason="needs varnishd and varnish-modules (apt-get install varnish varnish-modules)",
    ),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="gunicorn and the test share a PostgreSQL database",
    ),
    pytest.mark.timeout(180),
    pytest.mark.once,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def servers(tmp_path_factory, django_db_setup):
    """gunicorn on the test database and varnishd in front; the site purges it."""
    database = connection.settings_dict
    site = Gunicorn(
        site_env(
            DATABASE_URL=f"postgres://{database['USER']}@{database['HOST']}:"
            f"{database['PORT']}/{database['NAME']}",
            # The response cache on, as in production: a purge must never
            # refetch an answer it kept from before the change.
            REDIS_URL=os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
            CACHE_KEY_PREFIX=f"proxy-test-{os.getpid()}",
            RESPONSE_CACHE_SECONDS="300",
            # The purge task runs at the commit, in the request; a worker
            # runs it in production (tests/kernel/test_record_keys.py).
            TASKS_BACKEND="immediate",
        ),
        tmp_path_factory.mktemp("proxy") / "gunicorn.log",
    )
    varnish = Varnish(site.port)
    site.env["PROXY_PURGE_URLS"] = varnish.base
    site.start()
    try:
        varnish.start()
        yield site, varnish
    finally:
        varnish.stop()
        site.stop()


@pytest.fixture
def proxy(servers, settings):
    _site, varnish = servers
    # Changes made here, in the test, purge it too.
    settings.PROXY_PURGE_URLS = [varnish.base]
    # Each test starts with an empty proxy, as its database starts empty.
    assert purge(["all"]) == 1
    return servers


def sign_in(site, username):
    """Sign in to the admin as a browser would; return the headers of its later requests."""
    form = site.request("/admin/login/")
    csrf = re.search(r"csrftoken=([^;]+)", form.headers["Set-Cookie"]).group(1)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    answer = site.request(
        "/admin/login/?next=/admin/",
        {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token[1]},
        {"Cookie": f"csrftoken={csrf}"},
    )
    assert answer.status == 302, answer.body[:500]
    cookies = " ".join(answer.headers.get_all("Set-Cookie"))
    csrf = re.search(r"csrftoken=([^;]+)", cookies).group(1)
    session = re.search(r"sessionid=([^;]+)", cookies).group(1)
    return {"Cookie": f"csrftoken={csrf}; sessionid={session}"}, token[1]


def admin_action(site, headers, token, action, article):
    changelist = site.request("/admin/news/article/", headers=headers)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', changelist.body)
    return site.request(
        "/admin/news/article/",
        {
            "action": action,
            "_selected_action": str(article.pk),
            "index": "0",
            "csrfmiddlewaretoken": token[1],
        },
        headers,
    )


@pytest.fixture
def editor():
    user = get_user_model().objects.create_user(
        "editor", "editor@example.org", PASSWORD, is_staff=True
    )
    user.groups.add(role_group("Editors"))
    return user


def test_pages_and_api_answers_are_kept_and_named(proxy):
    site, varnish = proxy
    ArticleFactory(slug="kept", title="Kept story")

    first = varnish.request("/news/kept/")
    second = varnish.request("/news/kept/")
    api = [varnish.request("/api/v1/news/") for _ in range(2)]
    keys = site.request("/news/kept/").headers["xkey"].split()
    chinese = site.request("/zh-hans/news/kept/").headers["xkey"].split()
    unnamed_purge = varnish.request("/", method="PURGE")

    assert first.headers["X-Cache"] == "MISS" and second.headers["X-Cache"] == "HIT"
    assert "Kept story" in second.body
    control = second.headers["Cache-Control"]
    assert "public" in control and "stale-if-error=" in control
    kept_for = int(re.search(r"s-maxage=(\d+)", control).group(1))
    if seconds_to_midnight() > settings.PROXY_CACHE_SECONDS + 60:
        assert kept_for <= settings.PROXY_CACHE_SECONDS
        assert "stale-while-revalidate=30" in control
    else:
        # Events turn past at midnight: kept until then, and not served stale after.
        assert kept_for <= seconds_to_midnight() + 1
        assert "stale-while-revalidate" not in control
    # The keys are for the proxy: browsers never see them.
    assert "xkey" not in second.headers
    assert api[1].headers["X-Cache"] == "HIT" and "Kept story" in api[1].body
    # Named by what they show: the record, the section, the language.
    article = Article.objects.get(slug="kept")
    assert {"all", "lang-en", "section-news", f"news.article-{article.pk}"} <= set(keys)
    # Not the whole model: editing another article leaves this page alone.
    assert "news.article" not in keys
    assert "lang-zh-hans" in chinese
    assert not [key for key in keys if key.startswith(("django", "auth", "kernel"))]
    # A purge names its keys (and comes from the site's machines only).
    assert unnamed_purge.status == 400


def test_publish_edit_and_withdraw_in_the_admin_show_at_once(proxy, editor):
    site, varnish = proxy
    draft = ArticleFactory(slug="breaking", title="Breaking story", status="draft")
    headers, token = sign_in(site, "editor")
    assert "Breaking story" not in varnish.request("/news/").body
    assert varnish.request("/news/").headers["X-Cache"] == "HIT"

    published = admin_action(site, headers, token, "publish_selected", draft)
    started = time.monotonic()
    after_publish = varnish.request("/news/")
    publish_to_fresh = time.monotonic() - started
    assert varnish.request("/news/").headers["X-Cache"] == "HIT"

    before_edit = varnish.request("/news/breaking/")
    article = Article.objects.get(pk=draft.pk)
    article.title = "Breaking story, updated"
    article.save()
    after_edit = varnish.request("/news/breaking/")

    withdrawn = admin_action(site, headers, token, "unpublish_selected", draft)
    after_withdrawal = [varnish.request("/news/"), varnish.request("/news/breaking/")]

    assert published.status == 302 and withdrawn.status == 302
    assert "Breaking story" in after_publish.body and publish_to_fresh < 1
    assert "updated" not in before_edit.body
    assert "Breaking story, updated" in after_edit.body
    assert "Breaking story" not in after_withdrawal[0].body
    assert after_withdrawal[1].status == 404


def test_a_scheduled_article_is_never_kept_past_its_time(proxy):
    _site, varnish = proxy
    ArticleFactory(
        slug="soon",
        title="Soon",
        published_at=timezone.now() + datetime.timedelta(seconds=120),
    )

    control = varnish.request("/news/").headers["Cache-Control"]
    lifetime = int(re.search(r"s-maxage=(\d+)", control)[1])

    assert 0 < lifetime <= 120
    # Not served stale past it either.
    assert "stale-while-revalidate" not in control


def test_signed_in_editors_and_personal_pages_are_never_stored(proxy, editor):
    site, varnish = proxy
    ArticleFactory(slug="kept", title="Kept story")
    headers, _token = sign_in(site, "editor")
    varnish.request("/news/")  # stored for anonymous visitors

    editor_views = [varnish.request("/news/", headers=headers) for _ in range(2)]
    forms = [varnish.request("/members/join/") for _ in range(2)]
    admin = [varnish.request("/admin/", headers=headers) for _ in range(2)]

    assert [answer.headers["X-Cache"] for answer in editor_views] == ["PASS"] * 2
    assert all(answer.headers["X-Cache"] != "HIT" for answer in forms + admin)
    assert all(
        "s-maxage" not in answer.headers.get("Cache-Control", "") for answer in forms
    )
    assert admin[1].status == 200


def cached(varnish, path):
    """Fetch `path` through the proxy until it is kept; answer the kept body."""
    varnish.request(path)
    answer = varnish.request(path)
    assert answer.headers["X-Cache"] == "HIT", path
    return answer.body


def test_editing_one_article_purges_its_pages_not_every_article_page(proxy):
    _site, varnish = proxy
    now = timezone.now()
    articles = [
        ArticleFactory(
            slug=f"story-{number}",
            title=f"Story {number}",
            published_at=now - datetime.timedelta(days=10 * number),
        )
        for number in range(4)
    ]
    for article in articles:
        cached(varnish, f"/news/{article.slug}/")
    cached(varnish, f"/api/v1/news/{articles[3].slug}/")
    cached(varnish, "/news/")

    edited = Article.objects.get(pk=articles[3].pk)
    edited.body = "<p>A new paragraph, and only that.</p>"
    edited.save()
    after = {
        article.slug: varnish.request(f"/news/{article.slug}/") for article in articles
    }
    api = varnish.request(f"/api/v1/news/{articles[3].slug}/")

    # Its page and its API item are fetched again, with the change.
    assert after["story-3"].headers["X-Cache"] == "MISS"
    assert "A new paragraph" in after["story-3"].body
    assert api.headers["X-Cache"] == "MISS" and "A new paragraph" in api.body
    # Its neighbour shows it in passing (a link by its title): fetched again.
    assert after["story-2"].headers["X-Cache"] == "MISS"
    # The other articles' pages stay in the proxy.
    assert after["story-0"].headers["X-Cache"] == "HIT"
    assert after["story-1"].headers["X-Cache"] == "HIT"


def test_a_member_renamed_shows_on_the_pages_of_its_articles(proxy):
    _site, varnish = proxy
    member = MemberFactory(slug="acme", name="Acme Rockets")
    now = timezone.now()
    # Not its neighbour (an article's page links to the one before and after).
    other = ArticleFactory(
        slug="unrelated", published_at=now - datetime.timedelta(days=20)
    )
    ArticleFactory(slug="between", published_at=now - datetime.timedelta(days=10))
    article = ArticleFactory(slug="launch", title="Launch", published_at=now)
    article.members.add(member)
    assert "Acme Rockets" in cached(varnish, "/news/launch/")
    cached(varnish, "/news/unrelated/")
    cached(varnish, "/api/v1/news/launch/")

    renamed = Member.objects.get(pk=member.pk)
    renamed.name = "Acme Space"
    renamed.save()
    page = varnish.request("/news/launch/")
    api = varnish.request("/api/v1/news/launch/")

    assert "Acme Space" in page.body and "Acme Rockets" not in page.body
    assert "Acme Space" in api.body
    assert varnish.request(f"/news/{other.slug}/").headers["X-Cache"] == "HIT"


def test_a_tag_renamed_or_linked_shows_at_once(proxy):
    _site, varnish = proxy
    tag = TagFactory(slug="energy", name="Energy")
    article = ArticleFactory(slug="grid", title="Grid")
    article.tags.add(tag)
    assert "Energy" in cached(varnish, "/news/grid/")
    cached(varnish, "/news/?tag=energy")

    renamed = Tag.objects.get(pk=tag.pk)
    renamed.name = "Power"
    renamed.save()
    after_rename = varnish.request("/news/grid/")
    newcomer = ArticleFactory(slug="solar", title="Solar story")
    cached(varnish, "/news/?tag=energy")
    newcomer.tags.add(tag)
    tag_list = varnish.request("/news/?tag=energy")

    assert "Power" in after_rename.body and ">Energy<" not in after_rename.body
    assert "Solar story" in tag_list.body


def test_a_deletion_leaves_the_page_and_joins_the_tombstones_at_once(proxy):
    _site, varnish = proxy
    ArticleFactory(slug="doomed", title="Doomed story")
    cached(varnish, "/news/doomed/")
    cached(varnish, "/news/")
    tombstones = cached(varnish, "/api/v1/tombstones/")
    assert "doomed" not in tombstones

    Article.objects.get(slug="doomed").delete()

    assert varnish.request("/news/doomed/").status == 404
    assert "Doomed story" not in varnish.request("/news/").body
    assert "doomed" in varnish.request("/api/v1/tombstones/").body


def test_a_scheduled_articles_answers_are_purged_at_its_time(proxy):
    _site, varnish = proxy
    ArticleFactory(slug="now", title="Out now")
    days_ago = timezone.now() - datetime.timedelta(days=2)
    ArticleFactory(slug="older", published_at=days_ago)
    ArticleFactory(slug="oldest", published_at=days_ago - datetime.timedelta(days=1))
    MemberFactory(slug="acme")
    when = timezone.now() + datetime.timedelta(seconds=60)
    scheduled = ArticleFactory(slug="soon", title="Coming soon", published_at=when)
    cached(varnish, "/news/")
    cached(varnish, "/members/acme/")
    for slug in ("now", "older", "oldest"):
        cached(varnish, f"/news/{slug}/")

    # The task its save scheduled for `when` (a worker runs it then).
    purged = purge_when_due.call(
        label="news.article", pk=scheduled.pk, at=when.isoformat()
    )
    rescheduled = purge_when_due.call(
        label="news.article",
        pk=scheduled.pk,
        at=(when + datetime.timedelta(hours=1)).isoformat(),
    )

    assert purged == 1 and rescheduled == 0
    assert varnish.request("/news/").headers["X-Cache"] == "MISS"
    # Its neighbour at its time: the newest article's page will link to it.
    assert varnish.request("/news/now/").headers["X-Cache"] == "MISS"
    # A page that shows no article, or none it moves, stays in the proxy.
    assert varnish.request("/members/acme/").headers["X-Cache"] == "HIT"
    assert varnish.request("/news/oldest/").headers["X-Cache"] == "HIT"


def links(answer):
    """The previous (older) and next (newer) article a page links to, by address."""
    older = re.search(r'rel="prev" href="([^"]+)"', answer.body)
    newer = re.search(r'rel="next" href="([^"]+)"', answer.body)
    return (older and older[1], newer and newer[1])


def test_publishing_an_article_refreshes_its_neighbours_pages_only(proxy):
    _site, varnish = proxy
    now = timezone.now()
    for number in range(6):
        ArticleFactory(
            slug=f"story-{number}",
            title=f"Story {number}",
            published_at=now - datetime.timedelta(days=10 * number),
        )
    draft = ArticleFactory(
        slug="between",
        status="draft",
        published_at=now - datetime.timedelta(days=25),
    )
    for number in range(6):
        cached(varnish, f"/news/story-{number}/")

    # What the admin's publish action runs (the editor's own journey, through
    # the admin, is test_publish_edit_and_withdraw_in_the_admin_show_at_once).
    started = time.monotonic()
    Article.objects.filter(pk=draft.pk).publish()
    newer, older = varnish.request("/news/story-2/"), varnish.request("/news/story-3/")
    publish_to_fresh = time.monotonic() - started
    unrelated = [varnish.request(f"/news/story-{n}/") for n in (0, 5)]

    assert links(newer) == ("/news/between/", "/news/story-1/")
    assert links(older) == ("/news/story-4/", "/news/between/")
    assert publish_to_fresh < 1
    # Pages whose links it leaves alone stay in the proxy.
    assert [answer.headers["X-Cache"] for answer in unrelated] == ["HIT", "HIT"]

    # A new article saved published, between story-4 and story-5.
    for number in range(6):
        cached(varnish, f"/news/story-{number}/")
    started = time.monotonic()
    ArticleFactory(slug="late", published_at=now - datetime.timedelta(days=45))
    newer, older = varnish.request("/news/story-4/"), varnish.request("/news/story-5/")
    create_to_fresh = time.monotonic() - started
    unrelated = [varnish.request(f"/news/story-{n}/") for n in (0, 1, 2)]

    assert links(newer) == ("/news/late/", "/news/story-3/")
    assert links(older) == (None, "/news/late/")
    assert create_to_fresh < 1
    assert [answer.headers["X-Cache"] for answer in unrelated] == ["HIT"] * 3


def test_deleting_or_re_dating_an_article_refreshes_its_neighbours_pages_only(proxy):
    _site, varnish = proxy
    now = timezone.now()
    for number in range(8):
        ArticleFactory(
            slug=f"story-{number}",
            title=f"Story {number}",
            published_at=now - datetime.timedelta(days=10 * number),
        )
    for number in range(8):
        cached(varnish, f"/news/story-{number}/")

    started = time.monotonic()
    Article.objects.get(slug="story-2").delete()
    after_deletion = [varnish.request(f"/news/story-{n}/") for n in (1, 3)]
    delete_to_fresh = time.monotonic() - started
    unrelated = [varnish.request(f"/news/story-{n}/") for n in (5, 6, 7)]

    assert links(after_deletion[0]) == ("/news/story-3/", "/news/story-0/")
    assert links(after_deletion[1]) == ("/news/story-4/", "/news/story-1/")
    assert delete_to_fresh < 1
    assert [answer.headers["X-Cache"] for answer in unrelated] == ["HIT"] * 3

    # The oldest moves between the two newest: each side of both places.
    for number in (0, 1, 3, 4, 5, 6, 7):
        cached(varnish, f"/news/story-{number}/")
    started = time.monotonic()
    moved = Article.objects.get(slug="story-7")
    moved.published_at = now - datetime.timedelta(days=5)
    moved.save()
    after_move = {n: varnish.request(f"/news/story-{n}/") for n in (0, 1, 6)}
    move_to_fresh = time.monotonic() - started

    assert links(after_move[0]) == ("/news/story-7/", None)
    assert links(after_move[1]) == ("/news/story-3/", "/news/story-7/")
    assert links(after_move[6]) == (None, "/news/story-5/")
    assert move_to_fresh < 1
    assert varnish.request("/news/story-4/").headers["X-Cache"] == "HIT"


def test_compressed_and_plain_answers_are_each_kept_as_the_site_sent_them(proxy):
    _site, varnish = proxy
    ArticleFactory(slug="kept", title="Kept story")

    def fetch_gzip():
        asked = urllib.request.Request(
            varnish.base + "/news/kept/",
            headers={"Accept-Encoding": "gzip, deflate, br"},
        )
        with urllib.request.urlopen(asked, timeout=30) as answer:
            return answer.headers, answer.read()

    compressed = [fetch_gzip() for _ in range(2)]
    plain = [varnish.request("/news/kept/") for _ in range(2)]

    assert [headers["X-Cache"] for headers, _body in compressed] == ["MISS", "HIT"]
    assert compressed[1][0]["Content-Encoding"] == "gzip"
    assert b"Kept story" in gzip.decompress(compressed[1][1])
    # A client that takes no gzip has its own variant, not an unzipped one.
    assert [a.headers["X-Cache"] for a in plain] == ["MISS", "HIT"]
    assert "Content-Encoding" not in plain[1].headers
    assert "Kept story" in plain[1].body


def seconds_to_midnight():
    """Seconds until the next midnight in the site's time zone (events turn past then)."""
    now = timezone.localtime()
    midnight = (now + datetime.timedelta(days=1)).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return (midnight - now).total_seconds()
