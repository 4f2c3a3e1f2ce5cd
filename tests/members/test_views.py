import csv
import io
import json
import re

import pytest
from django.core import mail

from members.models import ApplicationStatus, MembershipApplication
from tests.conftest import assert_valid_html
from tests.factories import (
    ArticleFactory,
    InitiativeFactory,
    MemberFactory,
    ScenarioParticipationFactory,
    SectorFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db
PRIVATE_MARKERS = ["PRIVATE-NOTE", "private-", "Private Person", "+86 23 0000 0000"]


@pytest.fixture
def directory():
    founding = TierFactory(slug="founding", name="Founding member", order=1)
    observer = TierFactory(slug="observer", name="Observer", order=4)
    remote = SectorFactory(slug="remote-sensing", name="Remote sensing")
    launch = SectorFactory(slug="launch", name="Launch vehicles")
    return {
        "rocket": MemberFactory(
            slug="rocket",
            name="Rocket Co",
            tier=founding,
            country="CN",
            sectors=[launch],
        ),
        "eye": MemberFactory(
            slug="eye",
            name="Eye in the Sky",
            tier=observer,
            country="DE",
            sectors=[remote],
        ),
        "hidden": MemberFactory(
            slug="hidden",
            name="Hidden Draft Member",
            tier=founding,
            status="draft",
            sectors=[launch],
        ),
    }


def test_directory_groups_published_members_by_tier(client, directory):
    html = client.get("/members/").content.decode()
    assert_valid_html(html)
    order = [
        html.index(text)
        for text in (
            'id="tier-founding"',
            "Rocket Co",
            'id="tier-observer"',
            "Eye in the Sky",
        )
    ]
    assert order == sorted(order)
    assert "Hidden Draft Member" not in html


@pytest.mark.parametrize(
    ("query", "shown", "absent"),
    [
        ("sector=launch", "Rocket Co", "Eye in the Sky"),
        ("country=de", "Eye in the Sky", "Rocket Co"),
        ("tier=observer", "Eye in the Sky", "Rocket Co"),
        ("q=sky", "Eye in the Sky", "Rocket Co"),
    ],
)
def test_directory_filters(client, directory, query, shown, absent):
    html = client.get(f"/members/?{query}").content.decode()
    assert shown in html and absent not in html


def test_directory_counts_per_filter_value_ignore_drafts(client, directory):
    response = client.get("/members/")
    sectors = {sector.slug: count for sector, count in response.context["sectors"]}
    assert sectors == {"remote-sensing": 1, "launch": 1}
    tiers = {tier.slug: count for tier, count in response.context["tiers"]}
    assert tiers == {"founding": 1, "observer": 1}
    countries = {code: count for code, _name, count in response.context["countries"]}
    assert countries == {"CN": 1, "DE": 1}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("sector=nope", "Unknown sector"),
        ("country=XX", "Unknown country"),
        ("tier=x", "Unknown membership tier"),
    ],
)
def test_unknown_filter_values_get_a_400_with_a_message(client, query, message):
    response = client.get(f"/members/?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def test_profile_shows_public_facts_news_scenarios_and_initiatives(client, directory):
    rocket = directory["rocket"]
    ArticleFactory(title="Rocket news", members=[rocket])
    ArticleFactory(title="Draft rocket news", members=[rocket], status="draft")
    ScenarioParticipationFactory(member=rocket, scenario__title="Flood watch")
    ScenarioParticipationFactory(
        member=rocket, scenario__title="Hidden scenario", scenario__status="draft"
    )
    InitiativeFactory(name="Industry community").participants.add(rocket)
    html = client.get("/members/rocket/").content.decode()
    assert_valid_html(html)
    for text in ("Rocket news", "Flood watch", "Industry community", "Lead"):
        assert text in html
    for text in ("Draft rocket news", "Hidden scenario", *PRIVATE_MARKERS):
        assert text not in html
    data = json.loads(
        re.search(
            r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S
        ).group(1)
    )
    assert data["@type"] == "Organization" and data["name"] == "Rocket Co"


def test_unpublished_member_is_not_found(client, directory):
    assert client.get("/members/hidden/").status_code == 404


def test_csv_export_has_public_fields_of_published_members_only(client, directory):
    response = client.get("/members/export.csv?sector=launch")
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    body = response.content.decode()
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["slug"] for row in rows] == ["rocket"]
    assert rows[0]["url"] == "http://testserver/members/rocket/"
    for marker in PRIVATE_MARKERS:
        assert marker not in body


def test_embed_is_the_only_framable_page(client, directory):
    embed = client.get("/embed/members/")
    assert "X-Frame-Options" not in embed
    assert embed["Content-Security-Policy"] == "frame-ancestors *"
    assert 'target="_blank"' in embed.content.decode()
    assert "Hidden Draft Member" not in embed.content.decode()
    for path in ("/", "/members/", "/members/rocket/"):
        assert client.get(path)["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("count", [2, 40])
def test_directory_query_count_does_not_grow_with_members(
    client, assert_max_queries, count
):
    sectors = SectorFactory.create_batch(3)
    for _ in range(count):
        MemberFactory(sectors=sectors)
    with assert_max_queries(9):
        assert client.get("/members/").status_code == 200


@pytest.mark.parametrize("count", [1, 15])
def test_profile_query_count_does_not_grow_with_relations(
    client, assert_max_queries, count
):
    member = MemberFactory(slug="busy", sectors=SectorFactory.create_batch(count))
    for _ in range(count):
        ArticleFactory(members=[member])
        ScenarioParticipationFactory(member=member)
    with assert_max_queries(8):
        assert client.get("/members/busy/").status_code == 200


def application_data(**overrides):
    data = {
        "organization_name": "Orbit Start",
        "country": "SG",
        "capability": "Small satellite buses.",
        "contact_name": "Ada",
        "contact_email": "ada@orbit.example",
        "website": "https://orbit.example",
    }
    return {**data, **overrides}


def test_join_form_saves_the_application_and_tells_the_managers(client, settings):
    settings.MEMBERSHIP_NOTIFY_EMAILS = ["managers@alliance.example"]
    response = client.post("/members/join/", application_data())
    assert (
        response.status_code == 302 and response["Location"] == "/members/join/thanks/"
    )
    application = MembershipApplication.objects.get()
    assert application.status == ApplicationStatus.PENDING
    assert mail.outbox[0].to == ["managers@alliance.example"]
    assert "Orbit Start" in mail.outbox[0].subject
    assert (
        f"/admin/members/membershipapplication/{application.pk}/change/"
        in mail.outbox[0].body
    )


def test_join_form_shows_clear_errors_and_saves_nothing(client):
    response = client.post(
        "/members/join/",
        application_data(contact_email="not-an-email", organization_name=""),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert "This field is required." in html
    assert MembershipApplication.objects.count() == 0


def test_join_form_rejects_the_honeypot(client):
    response = client.post(
        "/members/join/", application_data(website_url_confirm="http://spam.example")
    )
    assert response.status_code == 400
    assert MembershipApplication.objects.count() == 0


def test_join_form_is_rate_limited_per_address(client):
    for index in range(5):
        client.post(
            "/members/join/", application_data(organization_name=f"Org {index}")
        )
    response = client.post(
        "/members/join/", application_data(organization_name="One too many")
    )
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert MembershipApplication.objects.count() == 5


def test_join_form_refuses_a_forged_request(client):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    assert strict.post("/members/join/", application_data()).status_code == 403
    assert MembershipApplication.objects.count() == 0
