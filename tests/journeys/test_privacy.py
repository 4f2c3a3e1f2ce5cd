"""Walk every public URL of a seeded site: no private field and no unpublished object anywhere."""

import datetime
import re
from urllib.parse import urljoin, urlparse

import pytest
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    EventFactory,
    FieldFactory,
    InitiativeFactory,
    MemberFactory,
    MembershipApplicationFactory,
    PageFactory,
    ScenarioFactory,
    ScenarioParticipationFactory,
    SectorFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db
SECRET = "SECRETMARK"
PRIVATE_TEXTS = [
    f"{SECRET} {kind}"
    for kind in ("person", "notes", "member", "sector", "event", "scenario", "initiative", "draft", "scheduled", "page", "applicant")
] + ["1111 SECRETMARK", "private.example", "hidden-member", "hidden-event", "hidden-sector", "hidden-scenario",
     "hidden-initiative", "hidden-page", "draft-story", "later-story"]  # fmt: skip


@pytest.fixture
def seeded():
    sector = SectorFactory(slug="navigation")
    hidden_sector = SectorFactory(
        slug="hidden-sector", name=f"{SECRET} sector", status="draft"
    )
    tag = TagFactory(slug="policy")
    member = MemberFactory(
        slug="acme",
        sectors=[sector, hidden_sector],
        contact_name=f"{SECRET} person",
        contact_email="secretmark@private.example",
        contact_phone="+86 23 1111 SECRETMARK",
        internal_notes=f"{SECRET} notes",
    )
    hidden_member = MemberFactory(
        slug="hidden-member", name=f"{SECRET} member", status="draft", sectors=[sector]
    )
    field = FieldFactory(slug="energy")
    scenario = ScenarioFactory(slug="grid", field=field)
    ScenarioParticipationFactory(scenario=scenario, member=hidden_member)
    hidden_event = EventFactory(
        slug="hidden-event", name=f"{SECRET} event", status="draft"
    )
    event = EventFactory(slug="forum")
    ScenarioFactory(
        slug="hidden-scenario",
        title=f"{SECRET} scenario",
        status="draft",
        field=field,
        announced_at=event,
    )
    InitiativeFactory(slug="fund", launched_at=hidden_event).participants.add(
        member, hidden_member
    )
    InitiativeFactory(
        slug="hidden-initiative", name=f"{SECRET} initiative", status="draft"
    )
    ArticleFactory(
        slug="story",
        tags=[tag],
        members=[member, hidden_member],
        scenarios=[scenario],
        event=hidden_event,
    )
    ArticleFactory(
        slug="draft-story", title=f"{SECRET} draft", status="draft", members=[member]
    )
    ArticleFactory(
        slug="later-story",
        title=f"{SECRET} scheduled",
        published_at=timezone.now() + datetime.timedelta(days=1),
        members=[member],
    )
    PageFactory(slug="about")
    PageFactory(slug="hidden-page", title=f"{SECRET} page", status="draft")
    MembershipApplicationFactory(
        organization_name=f"{SECRET} applicant",
        contact_email="applicant@private.example",
    )


FIXED = [
    "/", "/zh-hans/", "/news/", "/members/", "/scenarios/", "/events/", "/search/?q=SECRETMARK",
    "/search/?q=private", "/news/?q=SECRETMARK", "/members/?q=SECRETMARK", "/members/export.csv",
    "/embed/members/", "/news/feed/", "/news/feed/atom/", "/zh-hans/news/feed/", "/sitemap.xml",
    "/robots.txt", "/members/join/", "/no-such-page/", "/news/draft-story/", "/members/hidden-member/",
    "/api/v1/", "/api/v1/tombstones/", "/api/v1/news/?search=SECRETMARK", "/api/schema/",
]  # fmt: skip
API = [
    "members",
    "sectors",
    "news",
    "tags",
    "scenarios",
    "fields",
    "events",
    "initiatives",
]


def test_nothing_private_or_unpublished_is_reachable(client, seeded):
    queue = list(FIXED) + [f"/api/v1/{name}/?page_size=100" for name in API]
    queue += [
        f"/zh-hans{path}"
        for path in FIXED
        if not path.startswith(("/api", "/zh-hans", "/sitemap", "/robots"))
    ]
    seen = set()
    while queue:
        path = queue.pop(0)
        if path in seen or len(seen) > 400:
            continue
        seen.add(path)
        response = client.get(path)
        assert response.status_code < 500, path
        body = response.content.decode()
        # Searches echo the bare query; what must never appear are the stored values.
        leaks = [text for text in PRIVATE_TEXTS if text in body and text not in path]
        assert not leaks, (path, leaks)
        for link in re.findall(
            r'(?:href|<loc>|"url": ?|"html_url": ?)"?([^"<\s]+)', body
        ):
            url = urlparse(urljoin("http://testserver" + path, link.strip('"')))
            if url.netloc in ("testserver", "") and not url.path.startswith(
                ("/admin", "/static", "/media")
            ):
                queue.append(url.path + (f"?{url.query}" if url.query else ""))
    assert len(seen) > 60
    assert {
        "/members/acme/",
        "/news/story/",
        "/scenarios/grid/",
        "/api/v1/members/acme/",
    } <= seen
