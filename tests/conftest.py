"""Fixtures and hooks shared by the whole suite (nothing here is imported by a test module).

- `assert_max_queries(budget)`: a context manager failing when the block runs
  more SQL queries than the budget (pytest-django's, under a shorter name).
- Every test gets its own media folder and an empty cache.
- Under pytest-xdist (`make test`), the modules in ONE_PROCESS keep to one
  process each.
- Browser tests (`@pytest.mark.browser`) drive Debian's Chromium through
  Playwright against pytest-django's live server.

Functions and data that test modules import live in `tests/helpers.py`.
"""

import os
import shutil
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

from tests.helpers import CHROMIUM, CHROMIUM_ARGS

# Playwright's sync API runs an event loop in the test thread; Django would
# otherwise refuse ORM calls made from the same thread by live_server tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# `make test` runs the tests in two processes (pytest-xdist), each test sent to
# whichever is free, except the tests of one group here, which all go to one
# process: modules that build something once for all their tests (a site of
# 1,000 rows of everything, the demo content, real servers, a generated
# client), and the tests that empty the test Redis (TEST_REDIS_URL). A module
# here must not mix transactional tests with others: its tests run together,
# and a transactional test empties the database (role groups included) for
# the tests that the process runs after it.
ONE_PROCESS = {
    "tests/kernel/api/test_common.py": "redis",
    "tests/kernel/test_response_cache.py": "redis",
    "tests/project/test_query_budgets.py": "query budgets",
    "tests/project/test_front_end.py": "demo content",
    "tests/journeys/test_outages.py": "outages",
    "tests/journeys/test_partner_client.py": "partner client",
    "tests/kernel/test_db_router.py": "replica",
    "tests/kernel/test_proxy_cache.py": "proxy",
}


class GroupScheduling(LoadScopeScheduling):
    """xdist's `--dist loadgroup`, with the groups named in ONE_PROCESS by module.

    (xdist's own `xdist_group` mark is not applied under pytest 9.) Units go
    out in pytest-django's order (database tests, then transactional tests,
    which empty the database, then tests without a database), not biggest first.
    """

    def __init__(self, config, log=None):
        config.option.loadscopereorder = False
        super().__init__(config, log)

    def _split_scope(self, nodeid):
        return ONE_PROCESS.get(nodeid.split("::", 1)[0], nodeid)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") == "loadgroup":
        return GroupScheduling(config, log)
    return None


def pytest_collection_modifyitems(config, items):
    """Skip browser tests on a machine without Chromium, except in CI."""
    if shutil.which(CHROMIUM) or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(
        reason=f"Chromium not found at {CHROMIUM}; install it to run browser tests"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Keep uploaded files of a test out of the real media and private folders."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_ROOT = tmp_path / "private"


@pytest.fixture(autouse=True)
def _fragment_cache(settings):
    """Keep shared fragments and figures in the cache, as production does.

    Every test then also checks that a change shows up through them.
    """
    settings.FRAGMENT_CACHE_SECONDS = 300


@pytest.fixture(autouse=True)
def _production_hashers_for_real_servers(request, settings):
    """Tests that start the site in its own processes (marked `once`) hash as it does.

    The run hashes passwords with MD5 (see `pytest_configure`); a server
    started with the site's settings could not check such a password.
    """
    if "once" in request.keywords:
        from django.conf import global_settings

        settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS


@pytest.fixture(autouse=True)
def _tasks_run_at_once(settings):
    """Run background tasks in the test's process as they are enqueued.

    They are still enqueued at the commit, so a test sees them run inside
    `django_capture_on_commit_callbacks(execute=True)`. Tests of the queue
    itself ask for `database_tasks`.
    """
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "QUEUES": settings.TASK_QUEUES,
        }
    }


@pytest.fixture
def database_tasks(settings):
    """Queue tasks in the database, as the site does by default; `run_tasks()` runs them."""
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": settings.TASK_QUEUES,
        }
    }


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.core.cache import cache
    from django.utils import translation

    from alliance.kernel.response_cache import forget_answers_in_memory

    cache.clear()
    forget_answers_in_memory()
    # Every test starts in the site's default language, whatever a test
    # before it left active (a factory's `name=` fills that language's column).
    translation.activate(settings.LANGUAGE_CODE)
    # A transactional test empties the database, content types included:
    # ids remembered from before it would point at rows that are gone.
    ContentType.objects.clear_cache()
    yield
    cache.clear()
    forget_answers_in_memory()


@pytest.fixture
def assert_max_queries(django_assert_max_num_queries):
    """Fail when the block runs more than `budget` SQL queries."""
    return django_assert_max_num_queries


def pytest_configure(config):
    """Settings for the whole run, and catalogues compiled once before any test."""
    from django.conf import settings

    # Hashing a password the production way takes most of a second; tests only
    # need a password to check, so they hash it the cheapest way.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # With several workers (pytest-xdist), the controller compiles them
    # before the workers start; a worker has `workerinput`.
    if not hasattr(config, "workerinput"):
        compile_translations()


def compile_translations():
    """Compile the catalogues when a .mo is missing or older than its .po, so `pytest` alone works.

    With Babel, as `make install` does: no GNU gettext needed.
    """
    from babel.messages.frontend import CommandLineInterface

    locale = Path(__file__).resolve().parents[1] / "locale"
    for po in locale.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            command = ["pybabel", "-q", "compile", "-d", str(locale), "-D", po.stem]
            assert CommandLineInterface().run([*command, "-l", po.parts[-3]]) == 0
