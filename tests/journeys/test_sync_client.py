"""The example client keeps an exact mirror through edits, withdrawals and deletions."""

import importlib.util
from pathlib import Path

import pytest
from django.apps import apps

from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    MemberFactory,
    ScenarioParticipationFactory,
    SectorFactory,
    TagFactory,
)

CLIENT_PATH = Path(__file__).resolve().parents[2] / "examples" / "sync_client.py"
spec = importlib.util.spec_from_file_location("sync_client", CLIENT_PATH)
sync_client = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sync_client)


def backdate_everything():
    """Make all content a day old, so that a sync sees only what changes afterwards
    (without it, everything would fall inside the client's overlap window)."""
    import datetime

    from django.utils import timezone

    from alliance.kernel.tombstones import resources

    day_ago = timezone.now() - datetime.timedelta(days=1)
    for label in resources():
        apps.get_model(label).objects.update(updated_at=day_ago)


def published_content(client):
    """Everything the API publishes now, read afresh, keyed like the mirror."""
    content = {}
    for resource in sync_client.RESOURCES:
        for item in client.pages(f"/api/v1/{resource}/", {}):
            content[(resource, item["slug"])] = item
    return content


@pytest.mark.django_db(transaction=True)
def test_mirror_equals_the_published_content_after_each_sync(live_server, tmp_path):
    sector = SectorFactory(slug="remote-sensing")
    tag = TagFactory(slug="policy")
    members = [
        MemberFactory(slug=f"member-{index}", sectors=[sector]) for index in range(5)
    ]
    articles = [
        ArticleFactory(slug=f"story-{index}", tags=[tag], members=[members[index]])
        for index in range(4)
    ]
    ScenarioParticipationFactory(member=members[0], scenario__slug="grid")
    EventFactory(slug="forum")
    InitiativeFactory(slug="community").participants.add(members[1])
    MemberFactory(slug="draft-member", status="draft")
    backdate_everything()

    client = sync_client.Client(live_server.url)
    mirror = sync_client.Mirror(tmp_path / "mirror.sqlite3")
    first = sync_client.sync(client, mirror)
    assert first["saved"] == len(published_content(client))
    assert mirror.items() == published_content(client)
    assert ("members", "draft-member") not in mirror.items()

    # The site changes: an edit, a new article, an unpublished member (still named
    # in an article and an initiative), a deleted article, a renamed tag, a new publication.
    members[2].name_en = "Renamed member"
    members[2].save()
    ArticleFactory(slug="story-new", members=[members[3]])
    members[1].status = "draft"
    members[1].save()
    articles[0].delete()
    tag.slug = "policy-and-rules"
    tag.save()
    draft = MemberFactory._meta.model.objects.get(slug="draft-member")
    draft.status = "published"
    draft.save()

    second = sync_client.sync(client, mirror)
    assert second["removed"] >= 3
    assert mirror.items() == published_content(client)
    assert ("members", "member-1") not in mirror.items()
    assert ("news", "story-0") not in mirror.items()
    assert ("tags", "policy") not in mirror.items() and (
        "tags",
        "policy-and-rules",
    ) in mirror.items()
    story_1 = mirror.items()[("news", "story-1")]
    assert story_1["members"] == []  # its member was withdrawn

    # Nothing changed: a third run saves nothing new and the mirror stays equal.
    third = sync_client.sync(client, mirror)
    assert mirror.items() == published_content(client)
    assert (
        third["removed"] == second["removed"]
    )  # the overlap window sees the same tombstones again


@pytest.mark.django_db(transaction=True)
def test_mirror_follows_a_renamed_tier_and_sector(live_server, tmp_path):
    from tests.factories import TierFactory

    tier = TierFactory(slug="council", name="Council member")
    sector = SectorFactory(slug="launch", name="Launch")
    MemberFactory(slug="council-member", tier=tier)
    MemberFactory(slug="launcher", sectors=[sector])
    backdate_everything()

    client = sync_client.Client(live_server.url)
    mirror = sync_client.Mirror(tmp_path / "mirror.sqlite3")
    sync_client.sync(client, mirror)
    assert mirror.items() == published_content(client)

    # Tiers are no resource of their own: only the members show them.
    tier.name_en = "Board member"
    tier.save()
    sector.name_en = "Launch vehicles"
    sector.save()

    sync_client.sync(client, mirror)
    assert mirror.items() == published_content(client)
    items = mirror.items()
    assert items[("members", "council-member")]["tier"]["name"] == "Board member"
    assert items[("members", "launcher")]["sectors"][0]["name"] == "Launch vehicles"


@pytest.mark.django_db(transaction=True)
def test_mirror_shows_a_sector_published_after_its_members(live_server, tmp_path):
    sector = SectorFactory(slug="launch", status="draft")
    MemberFactory(slug="acme", sectors=[sector])
    backdate_everything()

    client = sync_client.Client(live_server.url)
    mirror = sync_client.Mirror(tmp_path / "mirror.sqlite3")
    sync_client.sync(client, mirror)
    assert mirror.items()[("members", "acme")]["sectors"] == []

    sector.status = "published"
    sector.save()

    sync_client.sync(client, mirror)
    assert mirror.items() == published_content(client)
