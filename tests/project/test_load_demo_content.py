"""load_demo_content: a second run on unchanged data changes nothing at all.

Partners' mirrors sync by `updated_at`, Last-Modified and ETag, and every
cached page lives until the content changes; a restart that runs the
command again must not make them all fetch or render everything anew.
"""

import datetime
import io

import pytest
import time_machine
from django.apps import apps
from django.core.cache import cache
from django.core.management import call_command

from alliance.kernel import changes
from alliance.kernel.models import ContentChange, Tombstone
from alliance.kernel.publishing import Publishable

pytestmark = pytest.mark.django_db

FIRST_RUN = datetime.datetime(2026, 12, 7, 2, 0, tzinfo=datetime.UTC)
SECOND_RUN = FIRST_RUN + datetime.timedelta(hours=1)
ANSWERS = [
    "/api/v1/news/?page_size=100",
    "/api/v1/members/?page_size=100",
    "/api/v1/scenarios/",
    "/api/v1/tombstones/",
    "/news/feed/atom/",
    "/sitemap.xml",
    "/sitemap-news.xml",
    "/sitemap-members.xml",
]


def load():
    out = io.StringIO()
    call_command("load_demo_content", stdout=out)
    return out.getvalue()


def stored():
    """Every row of every public model and of its links, files and times included."""
    state = {}
    for model in apps.get_models():
        if not issubclass(model, Publishable):
            continue
        state[model._meta.label] = list(model.objects.order_by("pk").values())
        for field in model._meta.local_many_to_many:
            through = field.remote_field.through
            state[through._meta.label] = list(through.objects.order_by("pk").values())
    state["content change"] = list(ContentChange.objects.values())
    state["tombstones"] = list(Tombstone.objects.values())
    return state


def answers(client):
    """What partners and crawlers see: status, body and validators of each answer."""
    cache.clear()  # rendered afresh, not served from the response cache
    seen = {}
    for path in ANSWERS:
        response = client.get(path)
        assert response.status_code == 200, path
        seen[path] = (
            response.get("ETag"),
            response.get("Last-Modified"),
            response.content,
        )
    return seen


def test_a_second_run_on_unchanged_data_changes_nothing(client):
    with time_machine.travel(FIRST_RUN, tick=False):
        output = load()
        assert "created" in output
        before = stored()
        http_before = answers(client)
        generation = changes.current_generation()
    with time_machine.travel(SECOND_RUN, tick=False):
        output = load()
        # Nothing was written: not a row, not the content-change mark, and
        # the cached pages are still the current ones.
        assert changes.current_generation() == generation
        assert stored() == before
        assert answers(client) == http_before
    lines = [line.split()[0] for line in output.splitlines()[:-1]]
    # Demo representatives are refused outside debugging (see portal.demo).
    assert lines and set(lines) - {"refused"} == {"unchanged"}


def test_a_changed_record_is_brought_back_and_only_it_moves(client):
    from news.models import Article

    with time_machine.travel(FIRST_RUN, tick=False):
        load()
        Article.objects.filter(slug="alliance-launched-in-chongqing").update(
            title_en="Edited by hand"
        )
        before = dict(Article.objects.values_list("slug", "updated_at"))
    with time_machine.travel(SECOND_RUN, tick=False):
        output = load()
    after = dict(Article.objects.values_list("slug", "updated_at"))
    moved = {slug for slug in after if after[slug] != before[slug]}
    assert moved == {"alliance-launched-in-chongqing"}
    assert "updated   article: International alliance" in output
    assert Article.objects.get(
        slug="alliance-launched-in-chongqing"
    ).title_en.startswith("International alliance")
