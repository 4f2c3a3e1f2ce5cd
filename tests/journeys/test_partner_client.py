"""A partner generates a client from the published schema and keeps a mirror with it alone.

What a partner does: download /api/schema/, run openapi-python-client on it,
and use nothing but the generated package against the running site: page
through every list to its end, fetch every item, learn from the tombstones
what left, and sync again later with `updated_since`. Every parsed object is
checked against the database.
"""

import datetime
import importlib
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from django.utils import timezone

from alliance.content.models import Event, Field, Initiative, Page, Scenario
from alliance.kernel.models import Tombstone
from members.models import Member, Sector
from news.models import Article, Tag
from tests.factories import ArticleFactory, PageFactory
from tests.helpers import api_content

pytestmark = [pytest.mark.once, pytest.mark.django_db(transaction=True)]

PACKAGE = "alliance_client"
GENERATOR = Path(sys.executable).parent / "openapi-python-client"
RESOURCES = {
    "members": Member,
    "sectors": Sector,
    "news": Article,
    "tags": Tag,
    "scenarios": Scenario,
    "fields": Field,
    "events": Event,
    "initiatives": Initiative,
    "pages": Page,
}
# The text field each resource's translations carry its title in.
TITLE = {"news": "title", "scenarios": "title", "pages": "title"}


@pytest.fixture(scope="module")
def api(live_server, tmp_path_factory, django_db_blocker):
    """The client package generated from the schema the live site serves."""
    folder = tmp_path_factory.mktemp("partner")
    # Once for the module, outside any test: the server's request handling
    # may touch the database connection, though the schema needs no data.
    with django_db_blocker.unblock():
        schema = httpx.get(f"{live_server.url}/api/schema/?format=json", timeout=60)
    assert schema.status_code == 200
    (folder / "schema.json").write_bytes(schema.content)
    # No post hooks: the generator would otherwise run ruff, which keeps a cache.
    (folder / "config.yaml").write_text(
        f"package_name_override: {PACKAGE}\npost_hooks: []\n"
    )
    subprocess.run(
        [GENERATOR, "generate", "--path", "schema.json", "--config", "config.yaml",
         "--meta", "none", "--output-path", PACKAGE],
        cwd=folder, check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


def operation(resource, action):
    return importlib.import_module(f"{PACKAGE}.api.{resource}.{resource}_{action}")


def models():
    return importlib.import_module(f"{PACKAGE}.models")


def read_list(client, resource, **parameters):
    """Every item of a list, page by page, following the `next` links to the end."""
    items, cursor, pages = [], None, 0
    while True:
        if cursor is not None:
            parameters["cursor"] = cursor
        page = operation(resource, "list").sync(
            client=client, page_size=2, **parameters
        )
        assert type(page).__name__.startswith("Paginated"), page
        items += page.results
        pages += 1
        if page.next_ is None:
            return items, pages
        (cursor,) = parse_qs(urlsplit(page.next_).query)["cursor"]


def published(model, resource):
    queryset = model.objects.published()
    if resource == "news":
        return {
            article.slug: max(article.updated_at, article.published_at)
            for article in queryset
        }
    return dict(queryset.values_list("slug", "updated_at"))


def test_a_generated_client_reads_everything_and_keeps_a_mirror(api, live_server):
    api_content()
    with api.Client(
        base_url=live_server.url, raise_on_unexpected_status=True
    ) as client:
        partner_journey(client, live_server.url)


def partner_journey(client, site):
    chinese = models().Language("zh-hans")

    mirror = {}
    for resource, model in RESOURCES.items():
        items, pages = read_list(client, resource)
        expected = published(model, resource)
        assert {item.slug for item in items} == set(expected), resource
        assert pages == max(1, -(-len(expected) // 2))  # two items a page
        for item in items:
            detail = operation(resource, "retrieve").sync(item.slug, client=client)
            assert type(detail) is type(item)
            assert detail.to_dict() == item.to_dict()
            assert detail.updated_at == expected[item.slug]
            assert detail.url == f"{site}/api/v1/{resource}/{item.slug}/"
            row = model.objects.get(slug=item.slug)
            title = TITLE.get(resource, "name")
            assert detail.translations.en.to_dict()[title] == getattr(
                row, f"{title}_en"
            )
            assert detail.translations.zh_hans.to_dict()[title] == (
                getattr(row, f"{title}_zh_hans") or ""
            )
            mirror[(resource, item.slug)] = detail

    # Typed, nested objects, as the database has them.
    acme = mirror[("members", "acme")]
    assert acme.tier.slug == "founding" and acme.country == "FR"
    assert [sector.slug for sector in acme.sectors] == ["navigation", "remote-sensing"]
    assert isinstance(acme.logo.width, int) and acme.logo.large_url.startswith(site)
    assert acme.logo.alt == "Acme's logo"
    assert mirror[("members", "plain-member")].logo is None
    story = mirror[("news", "launch-story")]
    assert story.source.published_on == datetime.date(2024, 5, 1)
    assert (
        story.event.slug == "forum" and story.cover_image.alt == "A rocket on its pad"
    )
    assert [member.slug for member in story.members] == ["acme", "plain-member"]
    assert story.scenarios[0].title == Scenario.objects.get(slug="grid").title
    grid = mirror[("scenarios", "grid")]
    assert {(p.member.slug, p.role.value) for p in grid.participants} == {
        ("acme", "lead"),
        ("plain-member", "user_agency"),
    }
    fund = mirror[("initiatives", "fund")]
    assert (fund.money.amount, fund.money.currency) == ("100000000.00", "CNY")
    assert fund.kind.value == "fund"
    assert isinstance(mirror[("events", "forum")].starts_on, datetime.date)
    about = operation("pages", "retrieve").sync("about", client=client, lang=chinese)
    assert about.title == "关于" and "<h2" in about.body_html

    # The tombstones name what left, and each is gone from its resource.
    tombstones, _pages = read_list(client, "tombstones")
    assert {(t.resource.value, t.slug, t.reason.value) for t in tombstones} >= {
        ("members", "left-member", "unpublished"),
        ("pages", "old-contact", "deleted"),
        ("news", "old-name", "deleted"),
    }
    assert len(tombstones) == Tombstone.objects.count()
    for tombstone in tombstones:
        gone = operation(tombstone.resource.value, "retrieve").sync_detailed(
            tombstone.slug, client=client
        )
        assert gone.status_code == 404
        assert gone.parsed.status == 404 and gone.parsed.detail

    # Later: the site changes, and a sync asks only for what changed since.
    since = timezone.now()
    charter = Page.objects.get(slug="charter")
    charter.status = "draft"
    charter.save()
    ArticleFactory(slug="fresh-story")
    PageFactory(slug="contact", title="Contact", title_zh_hans="联系我们")
    Member.objects.get(slug="acme").delete()

    for resource in RESOURCES:
        changed, _pages = read_list(client, resource, updated_since=since)
        for item in changed:
            mirror[(resource, item.slug)] = item
    gone, _pages = read_list(client, "tombstones", since=since)
    for tombstone in gone:
        mirror.pop((tombstone.resource.value, tombstone.slug), None)

    assert ("pages", "charter") not in mirror and ("members", "acme") not in mirror
    assert mirror[("pages", "contact")].translations.zh_hans.title == "联系我们"
    assert ("news", "fresh-story") in mirror
    assert set(mirror) == {
        (resource, slug)
        for resource, model in RESOURCES.items()
        for slug in published(model, resource)
    }


def test_the_generated_client_is_told_what_is_wrong_with_a_request(api, live_server):
    with api.Client(base_url=live_server.url) as client:
        answer = operation("members", "list").sync_detailed(
            client=client,
            updated_since=datetime.datetime(2024, 5, 1),  # no offset
        )
    assert answer.status_code == 400
    assert set(answer.parsed.errors.additional_properties) == {"updated_since"}
    with api.AuthenticatedClient(
        base_url=live_server.url,
        token="not-a-key",
        prefix="",
        auth_header_name="X-Api-Key",
    ) as keyed:
        answer = operation("pages", "list").sync_detailed(client=keyed)
    assert answer.status_code == 401 and answer.parsed.status == 401
