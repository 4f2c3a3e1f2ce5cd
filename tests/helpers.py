"""Helpers shared by several test modules."""

import io

from django.core.files.base import ContentFile
from PIL import Image

from alliance.models import ParticipationRole
from tests.factories import (
    ArticleFactory,
    EventFactory,
    FieldFactory,
    InitiativeFactory,
    MemberFactory,
    PageFactory,
    ScenarioFactory,
    ScenarioParticipationFactory,
    SectorFactory,
    TagFactory,
    TierFactory,
)


def png(size=(640, 400), colour="#0b3a6f"):
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format="PNG")
    return ContentFile(buffer.getvalue(), name="image.png")


def api_content():
    """A little of everything the partner API shows, in both languages, with drafts beside it.

    Every optional part of an item appears at least once, set and unset
    (logos, covers, images, sources, money, nested relations, an event
    that is over), so that checks of the answers meet every shape.
    """
    founding = TierFactory(slug="founding", name_zh_hans="创始成员")
    remote = SectorFactory(
        slug="remote-sensing", name="Remote sensing", name_zh_hans="遥感"
    )
    navigation = SectorFactory(slug="navigation", name_zh_hans="导航")
    SectorFactory(slug="hidden-sector", status="draft")
    acme = MemberFactory(
        slug="acme",
        name="Acme Orbital",
        name_zh_hans="阿克米轨道",
        country="FR",
        tier=founding,
        sectors=[remote, navigation],
        logo_alt="Acme's logo",
    )
    acme.logo.save("acme.png", png((400, 200)), save=True)
    plain = MemberFactory(slug="plain-member", sectors=[remote])
    MemberFactory(slug="draft-member", status="draft", sectors=[remote])
    energy = FieldFactory(slug="energy", name_zh_hans="能源")
    FieldFactory(slug="elderly-care")
    forum = EventFactory(
        slug="forum", name_zh_hans="论坛", website="https://forum.example"
    )
    EventFactory(slug="past-forum", starts_on="2023-11-20", ends_on="2023-11-21")
    grid = ScenarioFactory(
        slug="grid",
        field=energy,
        space_data=["remote_sensing", "satellite_navigation"],
        announced_at=forum,
        image_alt="A grid map",
        region="Chongqing",
    )
    grid.image.save("grid.png", png((1200, 800)), save=True)
    ScenarioParticipationFactory(scenario=grid, member=acme)
    ScenarioParticipationFactory(
        scenario=grid, member=plain, role=ParticipationRole.USER_AGENCY
    )
    ScenarioFactory(slug="draft-scenario", status="draft", field=energy)
    policy = TagFactory(slug="policy", name_zh_hans="政策")
    story = ArticleFactory(
        slug="launch-story",
        title_zh_hans="发布",
        tags=[policy],
        members=[acme, plain],
        scenarios=[grid],
        event=forum,
        featured=True,
        cover_alt="A rocket on its pad",
        source_name="Orbit Daily",
        source_url="https://orbit.example/story",
        source_published_on="2024-05-01",
    )
    story.cover_image.save("cover.png", png((1600, 900)), save=True)
    ArticleFactory(slug="plain-story")
    ArticleFactory(slug="draft-story", status="draft")
    fund = InitiativeFactory(
        slug="fund", kind="fund", amount="100000000", currency="CNY"
    )
    fund.participants.set([acme])
    InitiativeFactory(slug="community", launched_at=forum)
    PageFactory(slug="about", title="About", title_zh_hans="关于", order=1)
    PageFactory(slug="charter", title="Charter", order=2)
    PageFactory(slug="draft-page", status="draft")
    # Tombstones of each kind: unpublished, deleted, renamed.
    left = MemberFactory(slug="left-member")
    left.status = "draft"
    left.save()
    PageFactory(slug="old-contact").delete()
    renamed = ArticleFactory(slug="old-name")
    renamed.slug = "new-name"
    renamed.save()
