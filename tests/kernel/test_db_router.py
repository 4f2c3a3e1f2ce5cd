"""Read replicas, for real: a PostgreSQL primary and its streaming replica.

The module copies the test database into a primary of its own, starts a
replica of it with pg_basebackup, and serves the site with gunicorn
(production settings, `DATABASE_REPLICA_URLS` naming the replica). Replay on
the replica is paused, and a title changed on the primary behind the site's
back (no change time moved), so that each answer shows which server it was
read from.
"""

import os

import pytest
from django.db import connection

from tests.factories import ArticleFactory
from tests.servers import PG_BIN, Gunicorn, PostgresPair, site_env

pytestmark = [
    pytest.mark.skipif(
        not (PG_BIN / "initdb").exists() and not os.environ.get("CI"),
        reason="needs PostgreSQL 15's initdb and pg_basebackup",
    ),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="replicas are PostgreSQL's",
    ),
    pytest.mark.timeout(180),
    pytest.mark.once,
    # Committed, and emptied after each test, as the copy needs.
    pytest.mark.django_db(transaction=True),
]

APPLICATION = {
    "organization_name": "Replica Applicant",
    "country": "SG",
    "capability": "Ground stations.",
    "contact_name": "Ada",
    "contact_email": "ada@orbit.example",
    "website": "https://orbit.example",
}


@pytest.fixture(scope="module")
def pair(django_db_setup, django_db_blocker, tmp_path_factory):
    """The primary, its replica (replay paused) and the site reading from it."""
    with django_db_blocker.unblock():
        ArticleFactory(slug="replicated", title="As replicated")
        settings = connection.settings_dict
    database = (
        f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}"
    )
    postgres = PostgresPair()
    site = None
    try:
        postgres.start(copy_of=database)
        env = site_env(
            DATABASE_URL=postgres.url(postgres.primary_port),
            DATABASE_REPLICA_URLS=postgres.url(postgres.replica_port),
            DATABASE_REPLICA_RETRY_SECONDS="60",
        )
        log = tmp_path_factory.mktemp("replicas") / "gunicorn.log"
        site = Gunicorn(env, log).start()
        postgres.query(postgres.replica_port, "SELECT pg_wal_replay_pause()")
        # Behind the site's back: the article's change time stays as it was.
        postgres.psql(
            postgres.primary_port,
            "UPDATE news_article SET title_en = 'As on the primary'"
            " WHERE slug = 'replicated'",
        )
        yield postgres, site
    finally:
        if site:
            site.stop()
        postgres.stop()


def test_anonymous_pages_and_api_read_from_the_replica_and_staff_the_primary(pair):
    postgres, site = pair

    page = site.request("/news/replicated/")
    api = site.request("/api/v1/news/replicated/")
    staff = site.request("/news/replicated/", headers={"Cookie": "sessionid=x"})

    assert page.status == 200 and "As replicated" in page.body
    assert api.status == 200 and "As replicated" in api.body
    assert "As on the primary" not in page.body + api.body
    # Signed-in users (with a session) read the primary.
    assert "As on the primary" in staff.body
    # The site's connections to the replica read the articles.
    queries = postgres.query(
        postgres.replica_port,
        "SELECT string_agg(query, ' ') FROM pg_stat_activity"
        " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
    )
    assert "news_article" in queries


def test_a_visitor_who_posted_reads_the_primary_for_a_few_seconds(pair):
    _postgres, site = pair

    posted = site.post_form("/members/join/", APPLICATION)
    pin = posted.headers["Set-Cookie"]
    cookie = pin.split(";")[0]
    after = site.request("/news/replicated/", headers={"Cookie": cookie})
    someone_else = site.request("/news/replicated/")

    assert posted.status == 302
    assert cookie.startswith("pin_primary=") and "Max-Age=5" in pin
    assert "As on the primary" in after.body
    assert "As replicated" in someone_else.body


def test_a_public_change_shows_at_once_though_the_replica_lags(pair):
    postgres, site = pair

    # An editor's change moves the change time with it, on the primary.
    postgres.psql(
        postgres.primary_port,
        "UPDATE alliance_contentchange SET changed_at = now()"
        " + interval '1 second' WHERE id = 1",
    )
    page = site.request("/news/replicated/")

    assert "As on the primary" in page.body


def test_a_replica_that_is_down_is_skipped(pair):
    postgres, site = pair
    postgres.stop_replica()

    answers = [site.request("/news/replicated/") for _ in range(4)]
    log = site.log.read_text()

    assert all(answer.status == 200 for answer in answers)
    assert all("As on the primary" in answer.body for answer in answers)
    assert "Database replica replica1 unreachable" in log
