"""Fixtures and helpers shared by the whole suite.

- `assert_max_queries(budget)`: a context manager failing when the block runs
  more SQL queries than the budget (pytest-django's, under a shorter name).
- `assert_valid_html(html)`: strict HTML5 parsing of a rendered page.
- `axe_violations(page)`: the accessibility violations axe-core finds in a
  Playwright page (an empty list when the page is clean).
- Browser tests (`@pytest.mark.browser`) drive Debian's Chromium through
  Playwright against pytest-django's live server.
"""

import os
import shutil

import html5lib
import pytest

# Playwright's sync API runs an event loop in the test thread; Django would
# otherwise refuse ORM calls made from the same thread by live_server tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # No lookups leave the machine: only the local test server resolves.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
]


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
    """Keep uploaded files of a test out of the real media folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fragment_cache(settings):
    """Keep shared fragments and figures in the cache, as production does.

    Every test then also checks that a change shows up through them.
    """
    settings.FRAGMENT_CACHE_SECONDS = 300


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
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def assert_max_queries(django_assert_max_num_queries):
    """Fail when the block runs more than `budget` SQL queries."""
    return django_assert_max_num_queries


def assert_valid_html(html: str) -> None:
    """Parse a page with html5lib in strict mode: any parse error fails."""
    parser = html5lib.HTMLParser(strict=True, namespaceHTMLElements=False)
    try:
        parser.parse(html)
    except html5lib.html5parser.ParseError as error:
        line, column = parser.errors[-1][0] if parser.errors else ("?", "?")
        raise AssertionError(
            f"invalid HTML at line {line}, column {column}: {error}"
        ) from error


def axe_violations(page) -> list[dict]:
    """Run axe-core (WCAG 2.x A and AA rules) in the page and return its violations."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return results.response["violations"]


def format_violations(violations: list[dict]) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:3]}"
        for v in violations
    )


@pytest.fixture(scope="session", autouse=True)
def _compiled_translations():
    """Compile the catalogues when a .mo is missing or older than its .po, so `pytest` alone works.

    With Babel, as `make install` does: no GNU gettext needed.
    """
    from pathlib import Path

    from babel.messages.frontend import CommandLineInterface

    locale = Path(__file__).resolve().parents[1] / "locale"
    for po in locale.glob("*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            command = ["pybabel", "-q", "compile", "-d", str(locale), "-D", po.stem]
            assert CommandLineInterface().run([*command, "-l", po.parts[-3]]) == 0
