"""The connection pool, for real: gunicorn with DATABASE_POOL on the test database."""

import concurrent.futures
import os
import subprocess
import sys

import pytest
from django.db import connection

from tests.factories import ArticleFactory
from tests.servers import ROOT, Gunicorn, site_env

pytestmark = [
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="the pool is psycopg's",
    ),
    pytest.mark.timeout(120),
    pytest.mark.once,
    pytest.mark.django_db(transaction=True),
]

APPLICATION_NAME = "alliance-pool-test"


def backends():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            [APPLICATION_NAME],
        )
        return cursor.fetchone()[0]


def test_a_worker_serves_every_request_from_its_pool(tmp_path):
    ArticleFactory(slug="pooled", title="Pooled")
    settings = connection.settings_dict
    env = site_env(
        DATABASE_URL=f"postgres://{settings['USER']}@{settings['HOST']}:"
        f"{settings['PORT']}/{settings['NAME']}",
        DATABASE_POOL="2,2",
        # libpq names the connections, so that they can be counted.
        PGAPPNAME=APPLICATION_NAME,
    )
    site = Gunicorn(env, tmp_path / "gunicorn.log", workers=1).start()
    try:
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            answers = list(
                pool.map(lambda _n: site.request("/news/pooled/"), range(20))
            )
        kept = backends()
    finally:
        site.stop()

    assert [answer.status for answer in answers] == [200] * 20
    assert all("Pooled" in answer.body for answer in answers)
    # The pool's two connections stay open between requests (without it, and
    # with CONN_MAX_AGE 0, each request would open and close its own).
    assert kept == 2


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (
            {"DATABASE_POOL": "1,4"},
            "{'min_size': 1, 'max_size': 4, 'timeout': 10} 0 False",
        ),
        ({"DATABASE_PGBOUNCER": "true"}, "None 60 True"),
    ],
)
def test_pool_and_pgbouncer_settings(variables, expected):
    shown = subprocess.run(
        [sys.executable, "-c",
         "import django; django.setup(); from django.conf import settings;"
         "d = settings.DATABASES['default'];"
         "print(d['OPTIONS'].get('pool'), d['CONN_MAX_AGE'], d['DISABLE_SERVER_SIDE_CURSORS'])"],
        cwd=ROOT, env={**site_env(**variables), "DJANGO_SETTINGS_MODULE": "alliance.project.settings"},
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip

    assert shown == expected


def test_a_pool_of_the_wrong_shape_is_refused():
    failed = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            **site_env(DATABASE_POOL="4,1"),
            "DJANGO_SETTINGS_MODULE": "alliance.project.settings",
        },
        capture_output=True,
        text=True,
    )

    assert failed.returncode != 0 and "DATABASE_POOL is MIN,MAX" in failed.stderr
