"""The query shapes of members: the directory's tiles and facets, links, sectors' counts."""

import pytest

from alliance.kernel.translated import columns
from members.models import Member, Sector
from tests.factories import MemberFactory, SectorFactory, TierFactory

pytestmark = pytest.mark.django_db

PRIVATE = {"contact_name", "contact_email", "contact_phone", "internal_notes"}


def loaded(obj):
    """The columns read from the database (the others wait, deferred)."""
    return {f.attname for f in obj._meta.concrete_fields} - obj.get_deferred_fields()


def test_tiles_read_the_tile_and_its_tier_in_the_directorys_order(
    django_assert_num_queries,
):
    first, second = TierFactory(order=1), TierFactory(order=2)
    hidden = TierFactory(order=0, status="draft")
    late = MemberFactory(name="Aardvark Space", tier=hidden)
    b = MemberFactory(name="Beta Orbital", tier=first)
    a = MemberFactory(name="Alpha Orbital", tier=first)
    c = MemberFactory(name="Aaa Launch", tier=second)
    MemberFactory(name="Draft Orbital", tier=first, status="draft")
    with django_assert_num_queries(1):
        tiles = list(Member.objects.published().tiles())
        tier_names = [tile.tier.name for tile in tiles]
    # By tier (an unpublished tier's members last), then by name.
    assert tiles == [a, b, c, late]
    assert tier_names == [first.name, first.name, second.name, hidden.name]
    assert {"logo_small", "short_name", *columns("name")} <= loaded(tiles[0])
    assert not (PRIVATE | {"summary", "capability", "website"}) & loaded(tiles[0])


def test_links_read_a_link_by_name():
    MemberFactory(name="Beta")
    MemberFactory(name="Alpha")
    links = list(Member.objects.links())
    assert [m.name for m in links] == ["Alpha", "Beta"]
    assert loaded(links[0]) == {"id", "slug", "status", *columns("name")}


def test_logo_wall_and_with_logo(django_assert_num_queries):
    tier = TierFactory(order=1)
    with_logo = MemberFactory(name="B", tier=tier)
    without = MemberFactory(name="A", tier=tier)
    # A logo as after an upload, its sizes known: nothing opens the (absent) file.
    Member.objects.filter(pk=with_logo.pk).update(
        logo="members/logos/b/logo.png", logo_width=400, logo_height=200
    )
    assert list(Member.objects.with_logo()) == [with_logo]
    with django_assert_num_queries(1):
        wall = list(Member.objects.logo_wall())
        assert [m.tier.slug for m in wall] == [tier.slug, tier.slug]
    assert wall == [without, with_logo]


def test_for_export_brings_the_tier_and_published_sectors_only(
    django_assert_num_queries,
):
    public, draft = SectorFactory(slug="public"), SectorFactory(status="draft")
    member = MemberFactory(sectors=[public, draft])
    with django_assert_num_queries(2):
        (exported,) = Member.objects.for_export()
        assert exported.tier == member.tier
        assert list(exported.sectors.all()) == [public]


def test_for_detail_brings_the_tier_in_the_same_query(django_assert_num_queries):
    member = MemberFactory()
    with django_assert_num_queries(1):
        assert Member.objects.for_detail().get(pk=member.pk).tier.pk == member.tier_id


def test_facet_counts_count_the_members_of_the_queryset():
    launch, imaging = SectorFactory(), SectorFactory()
    gold, silver = TierFactory(), TierFactory()
    MemberFactory(tier=gold, country="CN", sectors=[launch, imaging])
    MemberFactory(tier=gold, country="SG", sectors=[launch])
    MemberFactory(tier=silver, country="CN")
    MemberFactory(tier=silver, country="DE", sectors=[launch], status="draft")
    published = Member.objects.published()
    # A member in two sectors counts in each; one in none counts under None.
    assert published.counts_by_sector() == {launch.pk: 2, imaging.pk: 1, None: 1}
    assert published.counts_by_tier() == {gold.pk: 2, silver.pk: 1}
    assert published.counts_by_country() == {"CN": 2, "SG": 1}
    assert published.in_country("CN").counts_by_sector() == {
        launch.pk: 1,
        imaging.pk: 1,
        None: 1,
    }


def test_sectors_with_member_counts_count_published_members_most_first():
    few = SectorFactory(order=1)
    many = SectorFactory(order=2)
    tie = SectorFactory(order=0)
    empty = SectorFactory(order=3)
    only_drafts = SectorFactory(order=4)
    MemberFactory.create_batch(2, sectors=[many])
    MemberFactory(sectors=[few])
    MemberFactory(sectors=[tie])
    MemberFactory(sectors=[only_drafts, many], status="draft")
    counted = list(Sector.objects.published().with_member_counts())
    assert [(s, s.member_count) for s in counted] == [(many, 2), (tie, 1), (few, 1)]
    assert empty not in counted and only_drafts not in counted


def test_sector_links_read_a_link():
    SectorFactory()
    assert loaded(Sector.objects.links().get()) == {
        "id",
        "slug",
        "status",
        *columns("name"),
    }
