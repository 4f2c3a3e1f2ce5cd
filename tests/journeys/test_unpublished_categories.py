"""A published object in an unpublished category never shows that category.

Sectors, tiers, fields and tags have a publication state of their own. A
member in a withdrawn tier, a scenario in a withdrawn field, an article or a
member linked to a withdrawn tag or sector is shown as having none: not its
name, not its slug, not a link, on any page, feed, export or API answer.
"""

import csv
import io

import pytest

from alliance.content.models import Field
from members.models import UNLISTED_TIER_ORDER, Member, Tier
from tests.factories import (
    ArticleFactory,
    EventFactory,
    FieldFactory,
    InitiativeFactory,
    MemberFactory,
    ScenarioFactory,
    ScenarioParticipationFactory,
    SectorFactory,
    TagFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db

MARK = "HIDDENCAT"
HIDDEN = [MARK, "hidden-tier", "hidden-sector", "hidden-field", "hidden-tag"]

PAGES = [
    "/", "/zh-hans/", "/members/", "/zh-hans/members/", "/members/?sector=navigation",
    "/members/acme/", "/zh-hans/members/acme/", "/members/beta/", "/scenarios/",
    "/scenarios/?field=energy", "/scenarios/grid/", "/scenarios/lit/", "/news/",
    "/news/?tag=policy", "/news/story/", "/events/", "/events/forum/",
    "/initiatives/fund/", "/embed/members/", "/members/export.csv", "/news/feed/",
    "/news/feed/atom/", "/zh-hans/news/feed/", "/search/?q=Acme", "/search/?q=Grid",
    "/search/?q=Story", "/sitemap.xml", "/sitemap-static.xml", "/sitemap-members.xml",
    "/sitemap-scenarios.xml", "/sitemap-news.xml", "/api/v1/members/",
    "/api/v1/members/acme/", "/api/v1/scenarios/", "/api/v1/scenarios/grid/",
    "/api/v1/news/", "/api/v1/news/story/", "/api/v1/events/", "/api/v1/events/forum/",
    "/api/v1/initiatives/fund/", "/api/v1/sectors/", "/api/v1/tags/", "/api/v1/fields/",
    "/api/v1/members/?search=Acme", "/api/v1/members/?sector=navigation",
]  # fmt: skip


@pytest.fixture
def site():
    tier = TierFactory(slug="founding", name="Founding", order=1)
    hidden_tier = TierFactory(
        slug="hidden-tier", name=f"{MARK} tier", order=2, status="draft"
    )
    sector = SectorFactory(slug="navigation", name="Navigation")
    hidden_sector = SectorFactory(
        slug="hidden-sector", name=f"{MARK} sector", status="draft"
    )
    field = FieldFactory(slug="energy", name="Energy")
    hidden_field = FieldFactory(
        slug="hidden-field", name=f"{MARK} field", status="draft"
    )
    tag = TagFactory(slug="policy", name="Policy")
    hidden_tag = TagFactory(slug="hidden-tag", name=f"{MARK} tag", status="draft")

    acme = MemberFactory(
        slug="acme",
        name="Acme Space",
        tier=hidden_tier,
        sectors=[sector, hidden_sector],
    )
    MemberFactory(slug="beta", name="Beta Orbit", tier=tier, sectors=[hidden_sector])
    event = EventFactory(slug="forum", name="Forum")
    event.members.add(acme)
    grid = ScenarioFactory(
        slug="grid", title="Grid watch", field=hidden_field, announced_at=event
    )
    ScenarioFactory(slug="lit", title="Lit", field=field)
    ScenarioParticipationFactory(scenario=grid, member=acme)
    InitiativeFactory(slug="fund").participants.add(acme)
    ArticleFactory(
        slug="story",
        title="Story of the grid",
        byline="",
        tags=[tag, hidden_tag],
        members=[acme],
        scenarios=[grid],
        event=event,
    )
    return {"acme": acme, "grid": grid}


def test_no_surface_shows_an_unpublished_category(client, site):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.content.decode()
        leaks = [text for text in HIDDEN if text in body]
        assert not leaks, (path, leaks)


def test_the_objects_themselves_stay_public_with_no_category(client, site):
    member = client.get("/api/v1/members/acme/").json()
    assert member["tier"] is None
    assert [s["slug"] for s in member["sectors"]] == ["navigation"]
    beta = client.get("/api/v1/members/beta/").json()
    assert beta["tier"]["slug"] == "founding" and beta["sectors"] == []
    scenario = client.get("/api/v1/scenarios/grid/").json()
    assert scenario["field"] is None
    assert client.get("/api/v1/scenarios/lit/").json()["field"]["slug"] == "energy"
    article = client.get("/api/v1/news/story/").json()
    assert [t["slug"] for t in article["tags"]] == ["policy"]

    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/members/export.csv").content.decode("utf-8-sig"))
        )
    )
    by_slug = {row["slug"]: row for row in rows}
    assert by_slug["acme"]["tier"] == "" and by_slug["acme"]["sectors"] == "navigation"
    assert by_slug["beta"]["tier"] == "founding"

    directory = client.get("/members/").content.decode()
    assert "Acme Space" in directory and "Other members" in directory
    # A member without a public tier comes after those with one.
    assert directory.index("Beta Orbit") < directory.index("Acme Space")
    scenarios = client.get("/scenarios/").content.decode()
    assert "Grid watch" in scenarios and "Other scenarios" in scenarios
    assert scenarios.index("Lit") < scenarios.index("Grid watch")
    assert "Story of the grid" in client.get("/news/").content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/members/?tier=hidden-tier",
        "/members/?sector=hidden-sector",
        "/scenarios/?field=hidden-field",
        "/news/?tag=hidden-tag",
        "/members/export.csv?tier=hidden-tier",
    ],
)
def test_filtering_by_an_unpublished_category_is_an_unknown_value(client, site, path):
    response = client.get(path)
    assert response.status_code == 400
    assert MARK not in response.content.decode()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/members/?tier=hidden-tier",
        "/api/v1/members/?sector=hidden-sector",
        "/api/v1/scenarios/?field=hidden-field",
        "/api/v1/news/?tag=hidden-tag",
        "/api/v1/sectors/hidden-sector/",
        "/api/v1/fields/hidden-field/",
        "/api/v1/tags/hidden-tag/",
    ],
)
def test_the_api_knows_no_unpublished_category(client, site, path):
    response = client.get(path)
    assert response.status_code in (400, 404)
    assert MARK not in response.content.decode()


def test_publishing_a_tier_or_a_field_brings_it_back_everywhere(client, site):
    Tier.objects.filter(slug="hidden-tier").publish()
    Field.objects.filter(slug="hidden-field").publish()
    acme = Member.objects.get(slug="acme")
    assert acme.tier_order == 2
    assert client.get("/api/v1/members/acme/").json()["tier"]["slug"] == "hidden-tier"
    assert client.get("/api/v1/scenarios/grid/").json()["field"]["slug"] == (
        "hidden-field"
    )
    assert f"{MARK} tier" in client.get("/members/acme/").content.decode()
    assert f"{MARK} field" in client.get("/scenarios/grid/").content.decode()
    # Withdrawn again, one at a time through save() or all at once.
    tier = Tier.objects.get(slug="hidden-tier")
    tier.status = "draft"
    tier.save()
    assert Member.objects.get(slug="acme").tier_order == UNLISTED_TIER_ORDER
    Tier.objects.filter(slug="hidden-tier").publish()
    Tier.objects.filter(slug="hidden-tier").unpublish()
    assert Member.objects.get(slug="acme").tier_order == UNLISTED_TIER_ORDER
    assert client.get("/api/v1/members/acme/").json()["tier"] is None
