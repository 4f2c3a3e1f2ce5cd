"""Shared links: every page has a canonical address, a share card and schema.org data."""

import json
from html.parser import HTMLParser

import pytest
from django.core.files.base import ContentFile

from members.models import Member
from news.models import Article
from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    MemberFactory,
    PageFactory,
    ParticipationFactory,
    ScenarioFactory,
)
from tests.helpers import committed, image_bytes

pytestmark = pytest.mark.django_db

ORIGIN = "http://testserver"


class Head(HTMLParser):
    """The share data of a page: meta properties and names, links, JSON-LD blocks."""

    def __init__(self, html):
        super().__init__()
        self.meta, self.links, self.json_ld = {}, {}, []
        self._in_json_ld = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            key = attrs.get("property") or attrs.get("name")
            self.meta.setdefault(key, attrs.get("content"))
        elif tag == "link" and attrs.get("rel") == "canonical":
            self.links.setdefault("canonical", []).append(attrs["href"])
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._in_json_ld = True
            self.json_ld.append("")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_json_ld = False

    def handle_data(self, data):
        if self._in_json_ld:
            self.json_ld[-1] += data


def head_of(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    return Head(response.content.decode())


@pytest.fixture
def site():
    """One published record of every kind, with the hubs' slugs below."""
    event = EventFactory(slug="forum", name="Launch Forum", summary="Two days.")
    member = MemberFactory(slug="rocket-co", name="Rocket Co", summary="Rockets.")
    ScenarioFactory(slug="floods", title="Flood watch", summary="Maps of floods.")
    ArticleFactory(slug="story", title="A story", summary="What happened.")
    initiative = InitiativeFactory(
        slug="fund",
        name="Space Fund",
        summary="A fund.",
        kind="fund",
        launched_at=event,
    )
    ParticipationFactory(initiative=initiative, member=member, organization="Rocket")
    PageFactory(slug="about", title="About us", summary="Who we are.")


PAGES = {
    "home": ("/", "WebPage"),
    "news list": ("/news/", "CollectionPage"),
    "article": ("/news/story/", "NewsArticle"),
    "member list": ("/members/", "CollectionPage"),
    "member": ("/members/rocket-co/", "Organization"),
    "scenario list": ("/scenarios/", "CollectionPage"),
    "scenario": ("/scenarios/floods/", "Project"),
    "event list": ("/events/", "CollectionPage"),
    "event": ("/events/forum/", "Event"),
    "initiative list": ("/initiatives/", "CollectionPage"),
    "initiative": ("/initiatives/fund/", "FundingScheme"),
    "page": ("/about/", "WebPage"),
    "search": ("/search/?q=fund", "SearchResultsPage"),
    "join": ("/members/join/", "WebPage"),
}


@pytest.mark.parametrize("prefix", ["", "/zh-hans"])
@pytest.mark.parametrize("kind", PAGES)
def test_every_page_type_has_a_share_card_a_canonical_link_and_page_data(
    client, site, kind, prefix
):
    path, schema_type = PAGES[kind]
    path = prefix + path
    head = head_of(client, path)
    canonical = head.links["canonical"]
    assert canonical == [ORIGIN + path]
    meta = head.meta
    assert meta["og:url"] == canonical[0]
    assert meta["og:title"] and meta["twitter:title"] == meta["og:title"]
    assert meta["og:image"].startswith(f"{ORIGIN}/")
    assert meta["twitter:image"] == meta["og:image"]
    assert meta["twitter:card"] in ("summary", "summary_large_image")
    assert meta["og:locale"] == ("zh_CN" if prefix else "en_US")
    blocks = [json.loads(text) for text in head.json_ld]
    assert blocks and all(
        block["@context"] == "https://schema.org" and block["@type"] for block in blocks
    )
    assert schema_type in [block["@type"] for block in blocks]
    # Each JSON-LD block names the page in its own language.
    assert all(
        block.get("url", canonical[0]).startswith(ORIGIN + prefix + "/")
        for block in blocks
    )


def test_the_home_page_describes_the_alliance_as_an_organization(client, settings):
    settings.SITE_NAME = "Sample Alliance"
    head = head_of(client, "/")
    organization = next(
        json.loads(b) for b in head.json_ld if json.loads(b)["@type"] == "Organization"
    )
    assert organization["name"] == "Sample Alliance"
    assert organization["url"] == f"{ORIGIN}/"
    assert organization["logo"] == f"{ORIGIN}/static/img/share.png"
    assert head.meta["og:title"] == "Sample Alliance"


def test_a_page_without_its_own_image_shares_the_default_image(client, site):
    meta = head_of(client, "/initiatives/fund/").meta
    assert meta["og:image"] == f"{ORIGIN}/static/img/share.png"
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    assert meta["twitter:card"] == "summary_large_image"


def test_the_default_share_image_is_a_1200_by_630_png_in_static():
    from django.contrib.staticfiles import finders
    from PIL import Image

    with Image.open(finders.find("img/share.png")) as image:
        assert (image.format, image.size) == ("PNG", (1200, 630))


def test_records_share_their_own_image_rendition(client):
    member = MemberFactory(slug="rocket-co", logo_alt="Rocket Co logo")
    with committed():  # renditions are made by a task after the commit
        member.logo.save(
            "logo.png", ContentFile(image_bytes((400, 200), "PNG")), save=True
        )
    member = Member.objects.get(pk=member.pk)
    meta = head_of(client, "/members/rocket-co/").meta
    assert meta["og:image"] == ORIGIN + member.logo_large.url
    assert meta["og:image"] != ORIGIN + member.logo.url  # never the upload
    assert meta["og:image:alt"] == "Rocket Co logo"
    member_data = [
        json.loads(b) for b in head_of(client, "/members/rocket-co/").json_ld
    ]
    assert member_data[0]["logo"] == meta["og:image"]

    article = ArticleFactory(slug="story", cover_alt="Orbits")
    with committed():  # renditions are made by a task after the commit
        article.cover_image.save(
            "c.jpg", ContentFile(image_bytes((1600, 900))), save=True
        )
    article = Article.objects.get(pk=article.pk)
    meta = head_of(client, "/news/story/").meta
    assert meta["og:image"] == ORIGIN + article.cover_large.url
    assert meta["og:image:width"] == str(article.cover_large_width)
    assert meta["og:type"] == "article"
    assert meta["twitter:card"] == "summary_large_image"

    scenario = ScenarioFactory(slug="floods", image_alt="Flood map")
    with committed():  # renditions are made by a task after the commit
        scenario.image.save(
            "m.png", ContentFile(image_bytes((1200, 800), "PNG")), save=True
        )
    scenario.refresh_from_db()
    head = head_of(client, "/scenarios/floods/")
    assert head.meta["og:image"] == ORIGIN + scenario.image_large.url
    assert head.meta["og:image:alt"] == "Flood map"
    project = next(json.loads(b) for b in head.json_ld if "Project" in b)
    assert project["image"] == head.meta["og:image"]


@pytest.mark.parametrize(
    ("path", "canonical"),
    [
        ("/?utm_source=wechat&utm_medium=share", "/"),
        ("/news/story/?utm_campaign=x&page=3", "/news/story/"),
        ("/news/?page=2&utm_source=x&fbclid=y", "/news/?page=2"),
        ("/news/?page=1", "/news/"),
        ("/news/?page=last", "/news/?page=3"),  # 26 articles, 12 a page
        ("/zh-hans/members/?sector=sector-x&utm_source=x&q=orbit", None),
        ("/scenarios/?status=piloting&from=timeline", "/scenarios/?status=piloting"),
        ("/search/?q=%E8%83%BD%E6%BA%90&ref=nav", "/search/?q=%E8%83%BD%E6%BA%90"),
    ],
)
def test_the_canonical_address_keeps_what_chooses_the_content_and_drops_tracking(
    client, path, canonical
):
    from tests.factories import SectorFactory

    ArticleFactory.create_batch(25)
    ArticleFactory(slug="story")
    SectorFactory(slug="sector-x")
    head = head_of(client, path)
    if canonical is None:
        # Parameters are kept in a fixed order, whatever order the link used.
        canonical = "/zh-hans/members/?q=orbit&sector=sector-x"
    assert head.links["canonical"] == [ORIGIN + canonical]
    assert head.meta["og:url"] == ORIGIN + canonical


def test_the_share_card_text_cannot_break_out_of_its_attribute_or_script(client):
    InitiativeFactory(
        slug="odd",
        name='Fund "quoted" <script>alert(1)</script>',
        summary="</script><b>x</b>",
    )
    response = client.get("/initiatives/odd/")
    html = response.content.decode()
    assert "<script>alert(1)" not in html and "</script><b>" not in html
    head = Head(html)
    assert head.meta["og:title"] == 'Fund "quoted" <script>alert(1)</script>'
    assert all(json.loads(block) for block in head.json_ld)


def test_an_error_page_is_neither_canonical_nor_indexed(client):
    response = client.get("/initiatives/no-such-initiative/?utm_source=x")
    assert response.status_code == 404
    head = Head(response.content.decode())
    assert "canonical" not in head.links and "og:url" not in head.meta
    assert head.meta["robots"] == "noindex"
