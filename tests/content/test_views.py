import datetime
import json
import re
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from tests.factories import (
    ArticleFactory,
    EventFactory,
    FieldFactory,
    InitiativeFactory,
    MemberFactory,
    ScenarioFactory,
    ScenarioParticipationFactory,
    SectorFactory,
)
from tests.helpers import assert_valid_html

pytestmark = pytest.mark.django_db


def test_scenario_list_groups_by_field_and_filters_by_status(client):
    energy = FieldFactory(name="Energy", slug="energy", order=1)
    water = FieldFactory(name="Water", slug="water", order=2)
    ScenarioFactory(title="Grid watch", field=energy, stage="piloting")
    ScenarioFactory(title="River watch", field=water, stage="announced")
    ScenarioFactory(title="Hidden plan", field=water, status="draft")
    html = client.get("/scenarios/").content.decode()
    assert_valid_html(html)
    assert (
        html.index('id="field-energy"')
        < html.index("Grid watch")
        < html.index('id="field-water"')
    )
    assert "Hidden plan" not in html
    filtered = client.get("/scenarios/?status=piloting").content.decode()
    assert "Grid watch" in filtered and "River watch" not in filtered
    assert "River watch" in client.get("/scenarios/?field=water").content.decode()


def test_scenario_and_event_lists_come_a_page_at_a_time(client):
    field = FieldFactory(slug="energy")
    ScenarioFactory.create_batch(30, field=field)
    first = client.get("/scenarios/")
    assert len(first.context["page_obj"].object_list) == 24
    assert 'rel="next" href="?page=2"' in first.content.decode()
    assert len(client.get("/scenarios/?page=2").context["page_obj"].object_list) == 6
    today = timezone.localdate()
    for days in range(30):
        EventFactory(starts_on=today - datetime.timedelta(days=days + 10))
    EventFactory(name="Next forum", starts_on=today + datetime.timedelta(days=5))
    events = client.get("/events/")
    assert len(events.context["page_obj"].object_list) == 24
    assert "Next forum" in events.content.decode()
    second = client.get("/events/?page=2")
    assert len(second.context["page_obj"].object_list) == 6
    assert "Next forum" not in second.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [("status=someday", "Unknown status"), ("field=nope", "Unknown field")],
)
def test_scenario_filters_reject_unknown_values(client, query, message):
    response = client.get(f"/scenarios/?{query}")
    assert response.status_code == 400 and message in response.content.decode()


def test_scenario_page_lists_published_members_with_roles_and_news(client):
    scenario = ScenarioFactory(
        title="Flood mapping", is_example=True, space_data=["remote_sensing"]
    )
    ScenarioParticipationFactory(
        scenario=scenario, member=MemberFactory(name="Lead Org"), role="lead"
    )
    ScenarioParticipationFactory(
        scenario=scenario, member=MemberFactory(name="Draft Org", status="draft")
    )
    ArticleFactory(title="Flood news", scenarios=[scenario])
    ArticleFactory(title="Draft flood news", scenarios=[scenario], status="draft")
    html = client.get(scenario.get_absolute_url()).content.decode()
    assert_valid_html(html)
    assert "Lead Org" in html and "Lead</span>" in html
    assert "Flood news" in html and "Remote sensing" in html
    assert "illustrative example" in html
    assert "Draft Org" not in html and "Draft flood news" not in html


def test_event_page_links_what_it_launched_and_has_event_data(client):
    event = EventFactory(name="Launch Forum", slug="forum", city="Chongqing")
    InitiativeFactory(name="The Fund", launched_at=event)
    InitiativeFactory(name="Hidden programme", launched_at=event, status="draft")
    ScenarioFactory(title="Scenario A", announced_at=event)
    html = client.get("/events/forum/").content.decode()
    assert_valid_html(html)
    assert (
        "The Fund" in html and "Scenario A" in html and "Hidden programme" not in html
    )
    data = json.loads(
        re.search(
            r'<script type="application/ld\+json"[^>]*>(.*?)</script>', html, re.S
        ).group(1)
    )
    assert (
        data["@type"] == "Event"
        and data["location"]["address"]["addressLocality"] == "Chongqing"
    )
    assert data["startDate"] == event.starts_on.isoformat()


def test_event_calendar_file_follows_rfc_5545(client):
    EventFactory(
        slug="forum",
        name="Forum; with, commas and a very long name that goes on and on past the line limit 能源",
        starts_on=datetime.date(2023, 11, 20),
        ends_on=datetime.date(2023, 11, 21),
    )
    response = client.get("/events/forum/event.ics")
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "DTSTART;VALUE=DATE:20231120\r\n" in body
    assert "DTEND;VALUE=DATE:20231122\r\n" in body  # exclusive end
    assert "SUMMARY:Forum\\; with\\, commas" in body
    for line in body.split("\r\n"):
        assert len(line.encode()) <= 75


def test_draft_event_has_no_page_and_no_calendar(client):
    EventFactory(slug="secret", status="draft")
    assert client.get("/events/secret/").status_code == 404
    assert client.get("/events/secret/event.ics").status_code == 404


def test_initiative_page_shows_its_amount_in_the_page_language(client):
    InitiativeFactory(
        slug="fund", kind="fund", amount=Decimal("100000000000"), currency="CNY"
    )
    assert "100 billion yuan" in client.get("/initiatives/fund/").content.decode()
    assert "1000亿元" in client.get("/zh-hans/initiatives/fund/").content.decode()


def test_home_page_shows_figures_chart_and_only_published_content(client):
    sector = SectorFactory(name="Launch vehicles")
    MemberFactory.create_batch(3, sectors=[sector])
    MemberFactory(name="Hidden member", status="draft", sectors=[sector])
    ArticleFactory(title="Big news", featured=True)
    ArticleFactory(title="Hidden news", status="draft")
    EventFactory(name="Next forum")
    html = client.get("/").content.decode()
    assert_valid_html(html)
    assert re.search(
        r'<dt>Member organizations</dt><dd><a href="/members/">3</a></dd>', html
    )
    # The chart: a row per sector, its label a link to the directory's filter.
    assert re.search(
        r'<a class="chart__label" href="/members/\?sector=[\w-]+">Launch vehicles</a>'
        r'\s*<svg class="chart__bar"[^>]*><rect width="100.0" height="1">'
        r'</rect></svg>\s*<span class="chart__value">3 members</span>',
        html,
    )
    assert "Big news" in html and "Next forum" in html
    assert "Hidden" not in html


@pytest.mark.parametrize("count", [2, 30])
def test_home_page_query_count_is_constant(client, assert_max_queries, count):
    sectors = SectorFactory.create_batch(3)
    for _ in range(count):
        MemberFactory(sectors=sectors)
        ArticleFactory()
        ScenarioFactory()
        EventFactory()
    with assert_max_queries(12):  # with the read of the change time
        assert client.get("/").status_code == 200


def test_in_chinese_the_pages_use_chinese_content(client):
    ScenarioFactory(slug="grid", title_en="Grid inspection", title_zh_hans="电网巡检")
    with translation.override("zh-hans"):
        html = client.get("/zh-hans/scenarios/grid/").content.decode()
    assert "<h1>电网巡检</h1>" in html
