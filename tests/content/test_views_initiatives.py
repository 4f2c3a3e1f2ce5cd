"""The initiatives: their index, their pages, the organizations taking part, the admin."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from alliance.content.models import Initiative, Participation
from tests.factories import (
    EventFactory,
    InitiativeFactory,
    MemberFactory,
    ParticipationFactory,
)
from tests.helpers import assert_valid_html

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client):
    user = User.objects.create_user(
        "editor", password="a-long-password-123", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    return client


def main(html):
    return html.split("<main", 1)[1].split("</main>", 1)[0]


# --- The index ------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["", "/zh-hans"])
def test_the_index_lists_each_initiative_with_kind_amount_and_launch_event(
    client, prefix
):
    event = EventFactory(name_en="Launch Forum", name_zh_hans="发布大会", slug="forum")
    InitiativeFactory(
        name_en="Space Fund",
        name_zh_hans="航天基金",
        slug="space-fund",
        kind="fund",
        amount="100000000000",
        currency="CNY",
        launched_on=datetime.date(2023, 11, 20),
        launched_at=event,
    )
    InitiativeFactory(name="Sample community", slug="community", kind="community")
    response = client.get(f"{prefix}/initiatives/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_valid_html(html)
    body = main(html)
    assert f'href="{prefix}/initiatives/space-fund/"' in body
    assert f'href="{prefix}/initiatives/community/"' in body
    assert f'href="{prefix}/events/forum/"' in body
    assert 'datetime="2023-11-20"' in body
    if prefix:
        assert "航天基金" in body and "1000亿元" in body and "发布大会" in body
        assert "基金" in body  # the kind, translated
    else:
        assert "Space Fund" in body and "Launch Forum" in body
        assert "Fund" in body and "Industry community" in body
        assert "100" in body and "billion" in body.lower()


def test_a_draft_initiative_never_appears_on_the_index_its_page_or_the_api(client):
    InitiativeFactory(name="Open programme", slug="open")
    InitiativeFactory(name="Secret programme", slug="secret", status="draft")
    assert b"Secret programme" not in client.get("/initiatives/").content
    assert b"Secret programme" not in client.get("/zh-hans/initiatives/").content
    assert client.get("/initiatives/secret/").status_code == 404
    listed = client.get("/api/v1/initiatives/").json()["results"]
    assert [item["slug"] for item in listed] == ["open"]
    assert client.get("/api/v1/initiatives/secret/").status_code == 404
    sitemap = client.get("/sitemap-initiatives.xml").content.decode()
    assert "/initiatives/open/" in sitemap and "secret" not in sitemap


def test_an_unpublished_launch_event_is_not_named_on_the_index(client):
    hidden = EventFactory(name="Closed-door meeting", status="draft")
    InitiativeFactory(name="Quiet fund", launched_at=hidden)
    body = main(client.get("/initiatives/").content.decode())
    assert "Quiet fund" in body and "Closed-door meeting" not in body


def test_the_index_is_in_the_main_navigation_and_the_sitemap_in_both_languages(
    client,
):
    html = client.get("/").content.decode()
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group(0)
    assert 'href="/initiatives/"' in nav
    nav_zh = re.search(
        r'<nav class="site-nav".*?</nav>',
        client.get("/zh-hans/").content.decode(),
        re.S,
    ).group(0)
    assert 'href="/zh-hans/initiatives/"' in nav_zh
    assert 'aria-current="page"' in client.get("/initiatives/").content.decode()
    static = client.get("/sitemap-static.xml").content.decode()
    assert "http://testserver/initiatives/</loc>" in static
    assert "http://testserver/zh-hans/initiatives/</loc>" in static


def test_the_index_is_paginated_and_answers_a_bad_page_with_a_400(client):
    for index in range(25):
        InitiativeFactory(name=f"Programme {index:02}")
    first = client.get("/initiatives/")
    assert len(first.context["page_obj"].object_list) == 24
    assert client.get("/initiatives/?page=2").status_code == 200
    assert client.get("/initiatives/?page=9").status_code == 404
    assert client.get("/initiatives/?page=two").status_code == 400


def test_the_index_is_served_from_the_response_cache_until_an_initiative_is_published(
    client, settings
):
    settings.RESPONSE_CACHE_SECONDS = 300
    InitiativeFactory(name="First programme")
    client.get("/initiatives/")
    with CaptureQueriesContext(connection) as queries:
        cached = client.get("/initiatives/")
    # A cache hit reads only the time of the last change (see response_cache).
    assert len(queries) == 1 and b"First programme" in cached.content
    draft = InitiativeFactory(name="Second programme", status="draft")
    assert b"Second programme" not in client.get("/initiatives/").content
    Initiative.objects.filter(pk=draft.pk).publish()
    assert b"Second programme" in client.get("/initiatives/").content


# --- The organizations taking part ---------------------------------------------------


def test_the_page_lists_organizations_in_order_with_role_and_member_link(client):
    initiative = InitiativeFactory(slug="fund", kind="fund")
    member = MemberFactory(name="Rocket Co", slug="rocket-co")
    ParticipationFactory(
        initiative=initiative, organization="Second Bank", role="investor", order=2
    )
    ParticipationFactory(
        initiative=initiative,
        organization="Rocket Company Ltd",
        member=member,
        role="lead",
        order=1,
    )
    ParticipationFactory(
        initiative=initiative,
        organization="Example institution 3",
        is_example=True,
        order=3,
    )
    html = client.get("/initiatives/fund/").content.decode()
    assert_valid_html(html)
    body = main(html)
    # The published member is linked under its own (current) name.
    assert '<a href="/members/rocket-co/">Rocket Co</a>' in body
    assert "Rocket Company Ltd" not in body
    assert body.index("Rocket Co") < body.index("Second Bank")
    assert body.index("Second Bank") < body.index("Example institution 3")
    assert "Lead" in body and "Investor" in body
    example_item = re.search(
        r"<li>[^<]*<span>Example institution 3.*?</li>", body, re.S
    )
    assert "Example name" in example_item.group(0)
    assert "Example name" not in body.split("Example institution 3")[0]


def test_an_unpublished_member_appears_only_under_the_organization_name(client):
    initiative = InitiativeFactory(slug="community")
    hidden = MemberFactory(name="Hidden Member Co", slug="hidden-co", status="draft")
    ParticipationFactory(
        initiative=initiative, organization="Public Name Ltd", member=hidden
    )
    unnamed = MemberFactory(name="Unnamed Draft Co", slug="unnamed", status="draft")
    # A member's part with no name of its own is shown only while the member is.
    Initiative.participants.through.objects.create(
        initiative=initiative, member=unnamed, order=5
    )
    for path in ("/initiatives/community/", "/zh-hans/initiatives/community/"):
        html = client.get(path).content.decode()
        assert "Public Name Ltd" in html
        for private in ("Hidden Member Co", "hidden-co", "Unnamed Draft Co", "unnamed"):
            assert private not in html, (path, private)
    item = client.get("/api/v1/initiatives/community/").json()
    assert item["participations"] == [
        {
            "organization": "Public Name Ltd",
            "role": "investor",
            "is_example": False,
            "member": None,
            "translations": {
                "en": {"organization": "Public Name Ltd"},
                "zh-hans": {"organization": ""},
            },
        }
    ]
    assert item["participants"] == []
    assert "Hidden Member Co" not in str(item) and "Unnamed" not in str(item)


def test_the_api_lists_participations_with_the_published_member_linked(client):
    initiative = InitiativeFactory(slug="fund")
    member = MemberFactory(name="Rocket Co", slug="rocket-co")
    ParticipationFactory(
        initiative=initiative,
        organization_en="Rocket Company",
        organization_zh_hans="火箭公司",
        member=member,
        role="lead",
        order=1,
    )
    ParticipationFactory(
        initiative=initiative, organization="Example 2", is_example=True, order=2
    )
    item = client.get("/api/v1/initiatives/fund/?lang=zh-hans").json()
    lead, example = item["participations"]
    assert lead["organization"] == "火箭公司"
    assert lead["role"] == "lead" and lead["is_example"] is False
    assert lead["member"] == {
        "slug": "rocket-co",
        "name": "Rocket Co",
        "url": "http://testserver/api/v1/members/rocket-co/",
    }
    assert lead["translations"]["en"] == {"organization": "Rocket Company"}
    assert example["is_example"] is True and example["member"] is None
    assert [m["slug"] for m in item["participants"]] == ["rocket-co"]


def test_the_member_page_lists_the_initiatives_it_takes_part_in(client):
    member = MemberFactory(slug="rocket-co")
    initiative = InitiativeFactory(name="Industry community")
    ParticipationFactory(initiative=initiative, member=member, organization="Rocket")
    InitiativeFactory(name="Draft community", status="draft").participations.create(
        member=member, organization="Rocket"
    )
    body = main(client.get("/members/rocket-co/").content.decode())
    assert "Industry community" in body and "Draft community" not in body


def test_a_member_takes_part_in_an_initiative_once():
    from django.db import IntegrityError, transaction

    initiative = InitiativeFactory()
    member = MemberFactory()
    ParticipationFactory(initiative=initiative, member=member)
    # Organizations that are not members may repeat nothing but their blanks.
    ParticipationFactory(initiative=initiative, member=None)
    ParticipationFactory(initiative=initiative, member=None)
    with pytest.raises(IntegrityError), transaction.atomic():
        ParticipationFactory(initiative=initiative, member=member)


# --- The admin ----------------------------------------------------------------------


def inline_data(rows, initial=0):
    data = {
        "participations-TOTAL_FORMS": str(len(rows)),
        "participations-INITIAL_FORMS": str(initial),
        "participations-MIN_NUM_FORMS": "0",
        "participations-MAX_NUM_FORMS": "1000",
    }
    for index, row in enumerate(rows):
        data.update(
            {f"participations-{index}-{key}": value for key, value in row.items()}
        )
    return data


def initiative_form(initiative, **changes):
    data = {
        "name_en": initiative.name_en,
        "name_zh_hans": "",
        "slug": initiative.slug,
        "status": initiative.status,
        "kind": initiative.kind,
        "summary_en": "",
        "summary_zh_hans": "",
        "description_en": "",
        "description_zh_hans": "",
        "amount": "",
        "currency": "",
        "launched_on": "",
        "launched_at": "",
        "participants_note_en": "",
        "participants_note_zh_hans": "",
    }
    data.update(changes)
    return data


def test_an_editor_adds_organizations_inline_in_the_initiative_form(editor_client):
    initiative = InitiativeFactory(slug="fund", kind="fund")
    member = MemberFactory(name="Rocket Co")
    url = f"/admin/alliance/initiative/{initiative.pk}/change/"
    form = editor_client.get(url).content.decode()
    assert 'name="participations-0-organization_en"' in form
    assert 'name="participations-0-is_example"' in form
    rows = [
        {
            "order": "1",
            "organization_en": "National Fund",
            "organization_zh_hans": "国家基金",
            "role": "investor",
            "member": "",
        },
        {
            "order": "2",
            "organization_en": "Example investment institution 2",
            "organization_zh_hans": "",
            "role": "investor",
            "member": "",
            "is_example": "on",
        },
        {
            "order": "3",
            "organization_en": "Rocket Company",
            "organization_zh_hans": "",
            "role": "lead",
            "member": str(member.pk),
        },
    ]
    response = editor_client.post(
        url, {**initiative_form(initiative), **inline_data(rows)}
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    saved = list(
        initiative.participations.order_by("order").values_list(
            "organization_en", "organization_zh_hans", "role", "member", "is_example"
        )
    )
    assert saved == [
        ("National Fund", "国家基金", "investor", None, False),
        ("Example investment institution 2", None, "investor", None, True),
        ("Rocket Company", None, "lead", member.pk, False),
    ]
    page = editor_client.get("/initiatives/fund/").content.decode()
    assert "National Fund" in page and "Example name" in page


def test_an_organization_needs_a_name_and_a_known_role(editor_client):
    initiative = InitiativeFactory(slug="fund")
    url = f"/admin/alliance/initiative/{initiative.pk}/change/"
    rows = [{"order": "1", "organization_en": "", "role": "sponsor", "member": ""}]
    response = editor_client.post(
        url, {**initiative_form(initiative), **inline_data(rows)}
    )
    assert response.status_code == 200
    errors = str(response.context["inline_admin_formsets"][0].formset.errors)
    assert "This field is required" in errors
    assert "sponsor is not one of the available choices" in errors
    assert not Participation.objects.exists()
