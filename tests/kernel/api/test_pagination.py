"""Ordering and cursors: every allowed order pages through a list exactly once."""

import base64
import datetime
import json
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from tests.factories import (
    ArticleFactory,
    EventFactory,
    FieldFactory,
    InitiativeFactory,
    MemberFactory,
    ScenarioFactory,
    SectorFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

# The orders each resource offers; `-` in front of any of them reverses it.
ORDERINGS = {
    "members": (MemberFactory, ["id", "updated_at", "name_en", "joined_on"]),
    "sectors": (SectorFactory, ["id", "updated_at", "order"]),
    "news": (ArticleFactory, ["id", "updated_at", "published_at"]),
    "tags": (TagFactory, ["id", "updated_at"]),
    "scenarios": (ScenarioFactory, ["id", "updated_at"]),
    "fields": (FieldFactory, ["id", "updated_at", "order"]),
    "events": (EventFactory, ["id", "updated_at", "starts_on"]),
    "initiatives": (InitiativeFactory, ["id", "updated_at"]),
}

NOW = timezone.now().replace(microsecond=0)
TODAY = datetime.date(2025, 6, 1)
# Values given to seven items: ties, so that the order needs its tie-breaker,
# and nulls where the field allows them.
VALUES = {
    "updated_at": [NOW, NOW, NOW, NOW - datetime.timedelta(days=1), None, None, None],
    "published_at": [NOW, NOW, NOW - datetime.timedelta(days=2), NOW, None, None, None],
    "name_en": ["Bravo", "Alpha", "Bravo", "Charlie", "Alpha", "Bravo", "Delta"],
    "joined_on": [TODAY, None, TODAY, None, TODAY.replace(year=2020), TODAY, None],
    "order": [3, 1, 3, 3, 0, 1, 2],
    "starts_on": [TODAY, TODAY, TODAY.replace(year=2024), TODAY, TODAY, None, None],
}


def all_orderings():
    for resource, (factory, fields) in ORDERINGS.items():
        for field in fields:
            for ordering in (field, f"-{field}"):
                yield pytest.param(
                    resource, factory, ordering, id=f"{resource}-{ordering}"
                )


def make_items(factory, field):
    """Seven items whose `field` has ties (and nulls where allowed)."""
    items = factory.create_batch(7)
    model = factory._meta.model
    for item, value in zip(items, VALUES.get(field, [None] * 7), strict=True):
        if value is not None:
            model.objects.filter(pk=item.pk).update(**{field: value})
    return model


def expected_order(model, resource, ordering):
    """The order, worked out in Python: by the field, nulls last, then by id; `-` reverses it."""
    field = ordering.lstrip("-")
    rows = []
    for item in model.objects.all():
        value = getattr(item, field)
        if resource == "news" and field == "updated_at":
            value = max(item.updated_at, item.published_at)
        rows.append(
            ((value is None, value if value is not None else 0, item.pk), item.slug)
        )
    slugs = [slug for _key, slug in sorted(rows)]
    return slugs[::-1] if ordering.startswith("-") else slugs


def walk(client, url, link="next"):
    """The pages met following `link` from `url`, each a list of slugs."""
    body = client.get(url).json()
    pages = [[item["slug"] for item in body["results"]]]
    while body[link]:
        body = client.get(body[link]).json()
        pages.append([item["slug"] for item in body["results"]])
    return pages, body


@pytest.mark.parametrize(("resource", "factory", "ordering"), all_orderings())
def test_every_allowed_ordering_pages_through_each_item_once_both_ways(
    client, resource, factory, ordering
):
    model = make_items(factory, ordering.lstrip("-"))
    expected = expected_order(model, resource, ordering)
    pages, last_page = walk(
        client, f"/api/v1/{resource}/?ordering={ordering}&page_size=2"
    )
    assert [slug for page in pages for slug in page] == expected
    # From the last page, the previous links lead back through the same pages.
    back, first_page = walk(client, last_page["previous"], link="previous")
    assert back == pages[-2::-1]
    assert first_page["previous"] is None


def test_news_can_be_ordered_by_its_updated_at(client):
    old = ArticleFactory(slug="old")
    ArticleFactory(slug="new")
    model = type(old)
    days = datetime.timedelta(days=1)
    model.objects.filter(slug="new").update(
        updated_at=NOW - 2 * days, published_at=NOW - 4 * days
    )
    # The older article was edited last: newest change first puts it first.
    model.objects.filter(slug="old").update(updated_at=NOW, published_at=NOW - 3 * days)
    results = client.get("/api/v1/news/?ordering=-updated_at").json()["results"]
    assert [item["slug"] for item in results] == ["old", "new"]
    results = client.get("/api/v1/news/?ordering=updated_at").json()["results"]
    assert [item["slug"] for item in results] == ["new", "old"]


def test_an_item_edited_during_a_walk_by_updated_at_is_seen_again_never_skipped(
    client,
):
    members = MemberFactory.create_batch(6)
    model = type(members[0])
    model.objects.update(updated_at=NOW - datetime.timedelta(days=1))
    seen = []
    body = client.get("/api/v1/members/?ordering=updated_at&page_size=2").json()
    seen += [item["slug"] for item in body["results"]]
    first = members[0]
    first.name_en = "Edited during the walk"
    first.save()
    while body["next"]:
        body = client.get(body["next"]).json()
        seen += [item["slug"] for item in body["results"]]
    assert set(seen) == {member.slug for member in members}
    assert seen.count(first.slug) == 2 and seen[-1] == first.slug


@pytest.mark.parametrize(
    "value",
    ["bogus", "-", "--id", "id,updated_at", "name", "updated_at ", "-bogus", "pk"],
)
def test_an_unknown_ordering_is_a_400_listing_the_allowed_values(client, value):
    MemberFactory()
    response = client.get("/api/v1/members/", {"ordering": value})
    assert response.status_code == 400
    message = response.json()["errors"]["ordering"][0]
    for allowed in ("id", "-id", "updated_at", "-updated_at", "name_en", "-joined_on"):
        assert allowed in message


def encode(text):
    return base64.b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    ("query", "cursor"),
    [
        ({}, "cD1hYmM="),  # p=abc
        ({"ordering": "updated_at"}, "cD1ub3RhZGF0ZQ=="),  # p=notadate
        ({}, "garbage"),
        ({}, "%%%"),
        ({}, encode("r=2&p=5")),
        ({}, encode("o=3&p=5")),
        ({}, encode("p=" + json.dumps(["x"]))),
        ({}, encode("p=" + json.dumps([10**30]))),
        ({}, encode("p=" + json.dumps([True]))),
        ({}, encode("p=" + json.dumps([1, 2]))),
        ({}, encode("p=" + json.dumps(None))),
        ({"ordering": "updated_at"}, encode("p=" + json.dumps([5]))),
        ({"ordering": "updated_at"}, encode("p=" + json.dumps(["2025-01-01", 1]))),
        ({"ordering": "updated_at"}, encode("p=" + json.dumps([None, 1]))),
        (
            {"ordering": "updated_at"},
            encode("p=" + json.dumps(["9999-12-31T23:59:59-23:00", 1])),
        ),
        ({"ordering": "joined_on"}, encode("p=" + json.dumps(["2025-02-30", 1]))),
        ({"ordering": "name_en"}, encode("p=" + json.dumps(["a\x00b", 1]))),
        ({"ordering": "name_en"}, encode("p=" + json.dumps([7, 1]))),
        ({"ordering": "-joined_on"}, encode("p=" + json.dumps(["2025-01-01"]))),
    ],
)
def test_a_forged_cursor_is_a_400_naming_the_cursor(client, query, cursor):
    MemberFactory.create_batch(3)
    url = f"/api/v1/members/?{urlencode({**query, 'cursor': cursor})}"
    response = client.get(url)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and list(body["errors"]) == ["cursor"]


def test_the_forged_cursors_from_the_report_are_400s_on_news(client):
    ArticleFactory()
    for url in (
        "/api/v1/news/?cursor=cD1hYmM=",
        "/api/v1/news/?ordering=updated_at&cursor=cD1ub3RhZGF0ZQ==",
        "/api/v1/news/?cursor=garbage",
    ):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "cursor" in response.json()["errors"]


def test_a_null_position_in_a_cursor_is_accepted_where_the_field_allows_it(client):
    first, *_others = MemberFactory.create_batch(3)
    cursor = encode("p=" + json.dumps([None, first.pk]))
    response = client.get(
        "/api/v1/members/", {"ordering": "joined_on", "cursor": cursor}
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2
