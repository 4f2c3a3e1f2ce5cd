"""Every public page and API answer runs a small, fixed number of SQL queries.

The site is built at 10 rows of each kind (articles, members, scenarios,
events, initiatives, tags, sectors, fields, pages, tombstones), every page
and API answer is requested, then the site grows to 1,000 rows of each kind
and they are requested again. Related rows grow with it: each new row links
to a "hub" object of every related kind and the hubs link back to every new
row, so the hub article shows 1,000 tags, members and scenarios, the hub
member appears on 1,000 articles, in 1,000 scenarios and events, and the
filters by hub tag, sector or field select hundreds of rows.

Each address is requested twice, with the response cache off: cold (the
cache emptied just before, so shared fragments and remembered counts are
worked out again) and warm (the request again, fragments from the cache).
Both counts must be the same at 10 and at 1,000 rows, and within the
address's budget in `BUDGETS`.

Building 1,000 rows of every kind takes a few seconds, so the site is built
and measured once for the module, in a transaction rolled back at the end;
each test then reads the counts of one address.
"""

import collections
import datetime
import re
from dataclasses import dataclass, field

import factory
import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from alliance.content.models import ParticipationRole, ScenarioStage
from alliance.kernel import response_cache
from tests.factories import (
    ArticleFactory,
    EventFactory,
    FieldFactory,
    InitiativeFactory,
    MemberFactory,
    PageFactory,
    ParticipationFactory,
    RegistrationSettingsFactory,
    ScenarioFactory,
    ScenarioParticipationFactory,
    SectorFactory,
    TagFactory,
    TierFactory,
    TombstoneFactory,
    create_in_bulk,
)

# The database must be set up for the module's fixture; the tests only read.
pytestmark = pytest.mark.django_db

SMALL, LARGE = 10, 1_000

# Every public address, by name. The hubs' slugs are fixed below.
PAGES = {
    "home": "/",
    "home-zh": "/zh-hans/",
    "news": "/news/",
    "news-by-tag": "/news/?tag=hub-tag",
    "news-by-member": "/news/?member=hub-member",
    "news-search": "/news/?q=sample",
    "news-last-page": "/news/?page=last",
    "article": "/news/hub-article/",
    "article-zh": "/zh-hans/news/hub-article/",
    "directory": "/members/",
    "directory-by-sector": "/members/?sector=hub-sector",
    "directory-by-tier": "/members/?tier=hub-tier",
    "directory-by-country": "/members/?country=CN",
    "directory-search": "/members/?q=orbital",
    "member": "/members/hub-member/",
    "members-csv": "/members/export.csv",
    "members-csv-by-sector": "/members/export.csv?sector=hub-sector",
    "members-embed": "/embed/members/",
    "scenarios": "/scenarios/",
    "scenarios-by-field": "/scenarios/?field=hub-field",
    "scenarios-by-status": "/scenarios/?status=piloting",
    "scenario": "/scenarios/hub-scenario/",
    "events": "/events/",
    "event": "/events/hub-event/",
    "event-ics": "/events/hub-event/event.ics",
    "initiatives": "/initiatives/",
    "initiatives-zh": "/zh-hans/initiatives/",
    "initiative": "/initiatives/hub-initiative/",
    "initiative-zh": "/zh-hans/initiatives/hub-initiative/",
    "site-page": "/about/",
    "search": "/search/?q=sample",
    "search-zh": "/zh-hans/search/?q=sample",
    "feed-rss": "/news/feed/",
    "feed-atom": "/news/feed/atom/",
    "sitemap": "/sitemap.xml",
    "sitemap-news": "/sitemap-news.xml",
    "sitemap-members": "/sitemap-members.xml",
    "sitemap-scenarios": "/sitemap-scenarios.xml",
}
API = {
    "api-members": "/api/v1/members/",
    "api-members-by-sector": "/api/v1/members/?sector=hub-sector",
    "api-members-by-country": "/api/v1/members/?country=CN&page_size=100",
    "api-member": "/api/v1/members/hub-member/",
    "api-sectors": "/api/v1/sectors/",
    "api-sectors-search": "/api/v1/sectors/?search=sector",
    "api-sector": "/api/v1/sectors/hub-sector/",
    "api-news": "/api/v1/news/",
    "api-news-by-tag": "/api/v1/news/?tag=hub-tag",
    "api-news-by-member": "/api/v1/news/?member=hub-member&page_size=100",
    "api-article": "/api/v1/news/hub-article/",
    "api-tags": "/api/v1/tags/",
    "api-tags-search": "/api/v1/tags/?search=tag",
    "api-tag": "/api/v1/tags/hub-tag/",
    "api-scenarios": "/api/v1/scenarios/",
    "api-scenarios-by-field": "/api/v1/scenarios/?field=hub-field",
    "api-scenarios-by-stage": "/api/v1/scenarios/?stage=piloting&page_size=100",
    "api-scenario": "/api/v1/scenarios/hub-scenario/",
    "api-fields": "/api/v1/fields/",
    "api-fields-search": "/api/v1/fields/?search=field",
    "api-field": "/api/v1/fields/hub-field/",
    "api-events": "/api/v1/events/",
    "api-events-upcoming": "/api/v1/events/?upcoming=true",
    "api-event": "/api/v1/events/hub-event/",
    "api-initiatives": "/api/v1/initiatives/",
    "api-initiatives-by-kind": "/api/v1/initiatives/?kind=programme",
    "api-initiative": "/api/v1/initiatives/hub-initiative/",
    "api-tombstones": "/api/v1/tombstones/",
    "api-tombstones-by-resource": "/api/v1/tombstones/?resource=members",
}
ADDRESSES = {**PAGES, **API}

# The most queries each address may run: (cold, warm). A cold request also
# works out what the cache then keeps until the content changes: the footer's
# pages, the next scheduled article (when cached answers expire), the time of
# the last change (Last-Modified), and per page the figures, facets and list
# lengths. Cold or warm, the first fragment read also reads the generation
# of the content (the change time, one row by primary key).
BUDGETS = {
    "home": (12, 4),
    "home-zh": (12, 4),
    "news": (7, 2),
    "news-by-tag": (8, 3),
    "news-by-member": (8, 3),
    "news-search": (7, 2),
    "news-last-page": (7, 2),
    "article": (9, 6),
    "article-zh": (9, 6),
    "directory": (10, 1),
    "directory-by-sector": (11, 2),
    "directory-by-tier": (11, 2),
    "directory-by-country": (10, 1),
    "directory-search": (10, 1),
    "member": (8, 5),
    "members-csv": (3, 2),
    "members-csv-by-sector": (4, 3),
    "members-embed": (2, 1),
    "scenarios": (7, 1),
    "scenarios-by-field": (8, 2),
    "scenarios-by-status": (7, 1),
    "scenario": (6, 4),
    "events": (6, 3),
    # The event with its registration settings (one query), its articles,
    # members, scenarios and initiatives; cold, the footer and the next
    # scheduled article.
    "event": (8, 6),
    "event-ics": (2, 1),
    "initiatives": (5, 2),
    "initiatives-zh": (5, 2),
    "initiative": (5, 3),
    "initiative-zh": (5, 3),
    "site-page": (4, 2),
    # One query per kind of result (six kinds), the footer, and cold the
    # next scheduled article.
    "search": (9, 6),
    "search-zh": (9, 6),
    "feed-rss": (2, 1),
    "feed-atom": (2, 1),
    # The last change, then the first and last key of each of six sections.
    "sitemap": (9, 7),
    "sitemap-news": (5, 3),
    "sitemap-members": (5, 3),
    "sitemap-scenarios": (5, 3),
    # An API answer: the filter's object, the page, one query per nested
    # relation, and the last change (Last-Modified). Nothing is cached.
    "api-members": (5, 3),
    "api-members-by-sector": (6, 4),
    "api-members-by-country": (5, 3),
    "api-member": (5, 3),
    "api-sectors": (4, 2),
    "api-sectors-search": (4, 2),
    "api-sector": (4, 2),
    "api-news": (7, 5),
    "api-news-by-tag": (8, 6),
    "api-news-by-member": (8, 6),
    "api-article": (7, 5),
    "api-tags": (4, 2),
    "api-tags-search": (4, 2),
    "api-tag": (4, 2),
    "api-scenarios": (5, 3),
    "api-scenarios-by-field": (6, 4),
    "api-scenarios-by-stage": (5, 3),
    "api-scenario": (5, 3),
    "api-fields": (4, 2),
    "api-fields-search": (4, 2),
    "api-field": (4, 2),
    "api-events": (5, 3),
    "api-events-upcoming": (5, 3),
    "api-event": (5, 3),
    # Also the organizations taking part, in one query.
    "api-initiatives": (6, 4),
    "api-initiatives-by-kind": (6, 4),
    "api-initiative": (6, 4),
    "api-tombstones": (4, 2),
    "api-tombstones-by-resource": (4, 2),
}


# --- The site at size --------------------------------------------------------


def alternating(hub, others):
    """`[hub, others[0], hub, others[1], ...]`: half the rows point at the hub."""
    return [item for other in others for item in (hub, other)]


@dataclass
class Site:
    """Content of every public kind, grown in steps, around one hub object per kind."""

    rows: int = 0
    hubs: dict = field(default_factory=dict)

    def start(self):
        tiers = [TierFactory(slug="hub-tier", order=0), *TierFactory.create_batch(3)]
        tag = TagFactory(slug="hub-tag")
        sector = SectorFactory(slug="hub-sector")
        scenario_field = FieldFactory(slug="hub-field")
        member = MemberFactory(slug="hub-member", tier=tiers[0], sectors=[sector])
        event = EventFactory(slug="hub-event")
        # It takes registrations: its page shows the link to the form.
        RegistrationSettingsFactory(event=event)
        event.members.set([member])
        scenario = ScenarioFactory(
            slug="hub-scenario",
            field=scenario_field,
            announced_at=event,
            stage=ScenarioStage.PILOTING,
        )
        ScenarioParticipationFactory(scenario=scenario, member=member)
        initiative = InitiativeFactory(slug="hub-initiative", launched_at=event)
        ParticipationFactory(initiative=initiative, member=member, role="lead")
        article = ArticleFactory(
            slug="hub-article",
            tags=[tag],
            members=[member],
            scenarios=[scenario],
            event=event,
        )
        PageFactory(slug="about")
        TombstoneFactory(slug="hub-removed")
        self.tiers = tiers
        self.hubs = {
            "tag": tag,
            "sector": sector,
            "field": scenario_field,
            "member": member,
            "event": event,
            "scenario": scenario,
            "initiative": initiative,
            "article": article,
        }
        self.rows = 1

    def grow(self, count):
        """Add `count` rows of every kind, linked to the hubs and from them."""
        hub = self.hubs
        now = timezone.now()
        today = timezone.localdate()
        tags = create_in_bulk(TagFactory, count)
        sectors = create_in_bulk(SectorFactory, count)
        fields = create_in_bulk(FieldFactory, count)
        members = create_in_bulk(
            MemberFactory,
            count,
            tier=factory.Iterator(self.tiers),
            country=factory.Iterator(["CN", "SG", "DE", "BR"]),
            logo=factory.LazyAttribute(lambda m: f"members/logos/{m.slug}/logo.png"),
            logo_rendered_from=factory.SelfAttribute("logo"),
            logo_small=factory.LazyAttribute(lambda m: f"members/{m.slug}-96.webp"),
            logo_large=factory.LazyAttribute(lambda m: f"members/{m.slug}-320.webp"),
            # Sizes known, as after an upload: nothing opens the (absent) files.
            logo_width=400,
            logo_height=200,
            logo_small_width=96,
            logo_small_height=48,
            links={"sectors": lambda i: [hub["sector"], sectors[i]]},
        )
        events = create_in_bulk(
            EventFactory,
            count,
            # Half upcoming (listed in full), half past (paginated).
            starts_on=factory.Iterator(
                [today + datetime.timedelta(days=d) for d in range(-count, count, 2)]
            ),
            links={"members": lambda i: [hub["member"], members[i]]},
        )
        scenarios = create_in_bulk(
            ScenarioFactory,
            count,
            field=factory.Iterator(alternating(hub["field"], fields)),
            announced_at=factory.Iterator(alternating(hub["event"], events)),
            stage=factory.Iterator(ScenarioStage.values),
        )
        # In each new scenario the hub member leads and a new member provides
        # technology; every new member uses the hub scenario.
        create_in_bulk(
            ScenarioParticipationFactory,
            3 * count,
            scenario=factory.Iterator(
                [*(s for s in scenarios for _ in range(2)), *[hub["scenario"]] * count]
            ),
            member=factory.Iterator([*alternating(hub["member"], members), *members]),
            role=factory.Iterator(
                [ParticipationRole.LEAD, ParticipationRole.TECHNOLOGY_PROVIDER] * count
                + [ParticipationRole.USER_AGENCY] * count
            ),
        )
        initiatives = create_in_bulk(
            InitiativeFactory,
            count,
            launched_at=factory.Iterator(alternating(hub["event"], events)),
        )
        # Each new initiative has the hub member, a new member and an
        # organization that is no member; the hub initiative gets every new
        # member and as many such organizations.
        create_in_bulk(
            ParticipationFactory,
            5 * count,
            initiative=factory.Iterator(
                [
                    *(i for i in initiatives for _ in range(3)),
                    *[hub["initiative"]] * (2 * count),
                ]
            ),
            member=factory.Iterator(
                [
                    *(m for new in members for m in (hub["member"], new, None)),
                    *members,
                    *[None] * count,
                ]
            ),
        )
        create_in_bulk(
            ArticleFactory,
            count,
            # Newest first: each step's articles come after the earlier ones.
            published_at=factory.Iterator(
                [now - datetime.timedelta(minutes=self.rows + i) for i in range(count)]
            ),
            featured=factory.Iterator([True, False, False]),
            event=factory.Iterator(alternating(hub["event"], [None] * count)),
            links={
                "tags": lambda i: [hub["tag"], tags[i]],
                "members": lambda i: [hub["member"], members[i]],
                "scenarios": lambda i: [hub["scenario"], scenarios[i]],
            },
        )
        create_in_bulk(PageFactory, count)
        create_in_bulk(
            TombstoneFactory,
            count,
            resource=factory.Iterator(["news", "members", "scenarios", "events"]),
        )
        hub["article"].tags.add(*tags)
        hub["article"].members.add(*members)
        hub["article"].scenarios.add(*scenarios)
        hub["event"].members.add(*members)
        self.rows += count


# --- Measuring ---------------------------------------------------------------


@dataclass
class Measure:
    """What one request of an address did: its status and the SQL it ran."""

    status: int
    queries: list

    def __len__(self):
        return len(self.queries)


def measure(client, path):
    with CaptureQueriesContext(connection) as context:
        response = client.get(path)
        if response.streaming:
            # A streaming answer runs its queries while it is read.
            b"".join(response.streaming_content)
    return Measure(response.status_code, [q["sql"] for q in context.captured_queries])


def measure_all(client):
    """{name: (cold, warm)} for every address, at the site's current size."""
    results = {}
    for name, path in ADDRESSES.items():
        try:
            cache.clear()
            # Cold means this process's own memo of the next scheduled change
            # is gone too, at every size alike.
            response_cache._next_change = (None, None)
            results[name] = (measure(client, path), measure(client, path))
        except Exception as error:  # reported by that address's tests
            results[name] = error
    return results


@pytest.fixture(scope="module")
def measured(django_db_setup, django_db_blocker):
    """{size: {name: (cold, warm)}} for the site at SMALL then LARGE rows of each kind."""
    results = {}
    settings = override_settings(RESPONSE_CACHE_SECONDS=0, FRAGMENT_CACHE_SECONDS=300)
    with django_db_blocker.unblock(), settings, transaction.atomic():
        site = Site()
        site.start()
        site.grow(SMALL - site.rows)
        client = Client()
        # A first request of each address loads what a process loads once
        # (templates, translations, URL patterns): not to be counted at one
        # size only.
        for path in ADDRESSES.values():
            client.get(path)
        results[SMALL] = measure_all(client)
        site.grow(LARGE - site.rows)
        results[LARGE] = measure_all(client)
        transaction.set_rollback(True)
    cache.clear()
    return results


def counts_of(measured, name):
    """The measures of `name` at both sizes: {size: (cold, warm)}; raise what a request raised."""
    found = {}
    for size in (SMALL, LARGE):
        outcome = measured[size][name]
        if isinstance(outcome, Exception):
            raise outcome
        found[size] = outcome
    return found


SHAPE = re.compile(r"\b\d+\b|'[^']*'|%s")


def growth(small, large):
    """The queries run a different number of times at the two sizes, literals blanked out."""
    shapes = [
        collections.Counter(SHAPE.sub("?", sql) for sql in each.queries)
        for each in (small, large)
    ]
    return "\n".join(
        f"{shapes[0][sql]} at {SMALL} rows, {shapes[1][sql]} at {LARGE}: {sql[:300]}"
        for sql in shapes[0] | shapes[1]
        if shapes[0][sql] != shapes[1][sql]
    )


# --- The tests ---------------------------------------------------------------


@pytest.mark.parametrize("name", ADDRESSES)
def test_address_answers_at_both_sizes(measured, name):
    for size, measures in counts_of(measured, name).items():
        assert [m.status for m in measures] == [200, 200], f"at {size} rows"


@pytest.mark.parametrize("name", ADDRESSES)
def test_queries_do_not_grow_from_10_to_1000_rows(measured, name):
    (small_cold, small_warm), (large_cold, large_warm) = counts_of(
        measured, name
    ).values()
    cold = len(small_cold), len(large_cold)
    warm = len(small_warm), len(large_warm)
    assert cold[0] == cold[1], f"cold: {cold}\n{growth(small_cold, large_cold)}"
    assert warm[0] == warm[1], f"warm: {warm}\n{growth(small_warm, large_warm)}"


@pytest.mark.parametrize("name", ADDRESSES)
def test_queries_stay_within_the_budget(measured, name):
    budget = BUDGETS[name]
    for size, measures in counts_of(measured, name).items():
        cold, warm = map(len, measures)
        assert cold <= budget[0], f"cold at {size} rows: {cold} queries"
        assert warm <= budget[1], f"warm at {size} rows: {warm} queries"
