"""The partner API's contract, resource by resource."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from alliance.kernel.models import PartnerKey, Tombstone
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
)

pytestmark = pytest.mark.django_db

RESOURCES = {
    "members": MemberFactory,
    "sectors": SectorFactory,
    "news": ArticleFactory,
    "tags": TagFactory,
    "scenarios": ScenarioFactory,
    "fields": FieldFactory,
    "events": EventFactory,
    "initiatives": InitiativeFactory,
    "pages": PageFactory,
}


@pytest.mark.parametrize(("resource", "factory"), RESOURCES.items())
def test_every_resource_has_the_common_item_shape(client, resource, factory):
    item = factory(slug=f"one-{resource}")
    factory(slug=f"hidden-{resource}", status="draft")
    body = client.get(f"/api/v1/{resource}/").json()
    assert [result["slug"] for result in body["results"]] == [item.slug]
    result = body["results"][0]
    assert result["url"] == f"http://testserver/api/v1/{resource}/{item.slug}/"
    assert result["html_url"].startswith("http://testserver/")
    assert result["updated_at"].endswith("Z")
    assert set(result["translations"]) == {"en", "zh-hans"}
    detail = client.get(result["url"])
    assert detail.status_code == 200 and detail.json()["slug"] == item.slug
    assert client.get(f"/api/v1/{resource}/hidden-{resource}/").status_code == 404


@pytest.mark.parametrize(("resource", "factory"), RESOURCES.items())
def test_lists_run_a_constant_number_of_queries(
    client, assert_max_queries, resource, factory
):
    factory.create_batch(3)
    with assert_max_queries(8) as small:
        client.get(f"/api/v1/{resource}/?page_size=100")
    factory.create_batch(40)
    with assert_max_queries(len(small.captured_queries)):
        client.get(f"/api/v1/{resource}/?page_size=100")


def test_member_items_never_carry_private_fields(client):
    MemberFactory(slug="m")
    for body in (
        client.get("/api/v1/members/").content,
        client.get("/api/v1/members/m/").content,
    ):
        text = body.decode()
        for marker in (
            "PRIVATE-NOTE",
            "private-",
            "Private Person",
            "contact",
            "internal_notes",
        ):
            assert marker not in text


def test_nested_summaries_show_only_published_relations(client):
    member = MemberFactory(slug="m", name="Shown member")
    hidden = MemberFactory(slug="h", name="Hidden member", status="draft")
    tag = TagFactory(slug="t")
    event = EventFactory(slug="e", status="draft")
    ArticleFactory(slug="a", members=[member, hidden], tags=[tag], event=event)
    item = client.get("/api/v1/news/a/").json()
    assert [m["slug"] for m in item["members"]] == ["m"]
    assert item["members"][0]["url"] == "http://testserver/api/v1/members/m/"
    assert item["tags"][0]["slug"] == "t"
    assert item["event"] is None


def test_scenarios_carry_members_with_roles(client):
    scenario = ScenarioFactory(slug="s")
    ScenarioParticipationFactory(
        scenario=scenario, member=MemberFactory(slug="lead"), role="lead"
    )
    item = client.get("/api/v1/scenarios/s/").json()
    assert item["participants"] == [
        {
            "member": {
                "slug": "lead",
                "name": item["participants"][0]["member"]["name"],
                "url": "http://testserver/api/v1/members/lead/",
            },
            "role": "lead",
        }
    ]


def test_language_is_chosen_by_parameter_or_header(client):
    ArticleFactory(slug="a", title_en="Launch", title_zh_hans="发射")
    assert client.get("/api/v1/news/a/").json()["title"] == "Launch"
    assert client.get("/api/v1/news/a/?lang=zh-hans").json()["title"] == "发射"
    by_header = client.get(
        "/api/v1/news/a/", headers={"Accept-Language": "zh-CN,zh;q=0.9"}
    )
    assert by_header.json()["title"] == "发射"
    assert by_header["Content-Language"] == "zh-hans"
    item = client.get("/api/v1/news/a/?lang=zh-hans").json()
    assert item["html_url"] == "http://testserver/zh-hans/news/a/"
    assert item["translations"]["en"]["title"] == "Launch"
    bad = client.get("/api/v1/news/?lang=fr")
    assert bad.status_code == 400 and "lang" in bad.json()["errors"]


def test_money_is_given_as_a_string_with_its_display_form(client):
    InitiativeFactory(slug="fund", amount="100000000000", currency="CNY")
    money = client.get("/api/v1/initiatives/fund/?lang=zh-hans").json()["money"]
    assert money == {
        "amount": "100000000000.00",
        "currency": "CNY",
        "display": "1000亿元",
    }


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/api/v1/news/?updated_since=yesterday", "updated_since"),
        # The schema's date-time is RFC 3339's: date, time and offset.
        ("/api/v1/news/?updated_since=", "updated_since"),
        ("/api/v1/news/?updated_since=2024-05-01", "updated_since"),
        ("/api/v1/news/?updated_since=2024-05-01T00:00:00", "updated_since"),
        ("/api/v1/news/?updated_since=2024-02-30T00:00:00Z", "updated_since"),
        ("/api/v1/news/?updated_since=2024-05-01T00:00:00%2B24:00", "updated_since"),
        ("/api/v1/tombstones/?since=2024-05-01", "since"),
        ("/api/v1/tombstones/?since=", "since"),
        ("/api/v1/events/?starts_after=10/25/2024", "starts_after"),
        ("/api/v1/events/?starts_after=", "starts_after"),
        # An empty value is no value of an enum, a slug, a number or a cursor.
        ("/api/v1/scenarios/?stage=", "stage"),
        ("/api/v1/news/?ordering=", "ordering"),
        ("/api/v1/news/?featured=", "featured"),
        ("/api/v1/members/?sector=", "sector"),
        ("/api/v1/news/?cursor=", "cursor"),
        ("/api/v1/members/?page_size=", "page_size"),
        ("/api/v1/news/?lang=", "lang"),
        # User text never reaches a %-format; digits are ASCII digits.
        ("/api/v1/members/?country=%25", "country"),
        ("/api/v1/members/?country=%25s%25(x)s", "country"),
        ("/api/v1/members/?country=%C4%B1n", "country"),
        ("/api/v1/members/?page_size=%C2%B2", "page_size"),
        ("/api/v1/members/?page_size=%D9%A3", "page_size"),
        ("/api/v1/members/?page_size=%EF%BC%95", "page_size"),
        ("/api/v1/news/?colour=blue", "colour"),
        ("/api/v1/members/?page_size=101", "page_size"),
        ("/api/v1/members/?page_size=0", "page_size"),
        ("/api/v1/members/?sector=nope", "sector"),
        ("/api/v1/scenarios/?stage=someday", "stage"),
        ("/api/v1/events/?starts_after=tomorrow", "starts_after"),
        ("/api/v1/tombstones/?since=last-week", "since"),
        ("/api/v1/news/a/?page_size=3", "page_size"),
        ("/api/v1/events/?upcoming=maybe", "upcoming"),
        ("/api/v1/news/?featured=yes", "featured"),
        ("/api/v1/members/?country=zz", "country"),
        ("/api/v1/members/?country=china", "country"),
        ("/api/v1/members/?tier=nope", "tier"),
        ("/api/v1/news/?tag=nope", "tag"),
        ("/api/v1/initiatives/?kind=nope", "kind"),
        ("/api/v1/tombstones/?resource=nope", "resource"),
        ("/api/v1/news/?ordering=-", "ordering"),
        ("/api/v1/news/?cursor=garbage", "cursor"),
        ("/api/v1/news/?format=xml", "format"),
        ("/api/v1/news/a/?format=api", "format"),
    ],
)
def test_bad_parameters_get_a_json_400_naming_the_parameter(client, path, parameter):
    ArticleFactory(slug="a")
    response = client.get(path)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == 400 and parameter in body["errors"]


def test_filters_take_the_values_the_pages_take(client):
    from tests.factories import TierFactory

    MemberFactory(slug="cn", country="CN", tier=TierFactory(slug="founding"))
    MemberFactory(slug="fr", country="FR")
    ArticleFactory(slug="plain")
    ArticleFactory(slug="star", featured=True)
    EventFactory(slug="next")

    def slugs(path):
        response = client.get(path)
        assert response.status_code == 200, response.content
        return [item["slug"] for item in response.json()["results"]]

    assert slugs("/api/v1/members/?country=cn") == ["cn"]
    assert slugs("/api/v1/members/?country=FR") == ["fr"]
    assert slugs("/api/v1/members/?tier=founding") == ["cn"]
    for true, false in (("true", "false"), ("1", "0"), ("True", "FALSE")):
        assert slugs(f"/api/v1/news/?featured={true}") == ["star"]
        assert slugs(f"/api/v1/news/?featured={false}") == ["plain"]
        assert slugs(f"/api/v1/events/?upcoming={true}") == ["next"]
        assert slugs(f"/api/v1/events/?upcoming={false}") == []
    # An empty search is no search: it is the one parameter that may be empty.
    assert len(slugs("/api/v1/news/?search=")) == 2


def test_unknown_addresses_and_methods_answer_in_json(client):
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404 and response.json()["status"] == 404
    response = client.post("/api/v1/news/", {}, content_type="application/json")
    assert response.status_code == 405 and "not allowed" in response.json()["detail"]


def test_an_unexpected_error_answers_json_in_the_api_and_the_page_elsewhere(
    monkeypatch,
):
    from django.test import Client

    from alliance.content.views import EventListView
    from news.api import TagViewSet

    def fail(*args, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(TagViewSet, "list", fail)
    monkeypatch.setattr(EventListView, "get_queryset", fail)
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/tags/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "status": 500,
        "detail": "Something went wrong on our side.",
    }
    page = client.get("/events/")
    assert page.status_code == 500
    assert page["Content-Type"].startswith("text/html")
    assert "Something went wrong on our side" in page.content.decode()


def test_updated_since_accepts_any_valid_offset(client):
    ArticleFactory(slug="a")
    response = client.get(
        "/api/v1/news/", {"updated_since": "2020-01-01T08:00:00+22:09"}
    )
    assert response.status_code == 200 and len(response.json()["results"]) == 1


@pytest.mark.parametrize(
    "moment",
    [
        "2020-01-01t08:00:00z",
        "2020-01-01T08:00:00.123456789-03:30",
        "2016-12-31T23:59:60Z",  # a leap second
        "2020-01-01T08:00:00 08:00",  # an unencoded "+"
        # Before and after anything UTC can write: everything, and nothing.
        "0001-01-01T00:30:00+22:09",
        "9999-12-31T23:59:59-23:59",
    ],
)
def test_updated_since_accepts_every_rfc_3339_date_time(client, moment):
    ArticleFactory(slug="a")
    for path, parameter in (
        ("/api/v1/news/", "updated_since"),
        ("/api/v1/tombstones/", "since"),
    ):
        response = client.get(path, {parameter: moment})
        assert response.status_code == 200, response.content
    found = client.get("/api/v1/news/", {"updated_since": moment}).json()["results"]
    assert len(found) == (0 if moment.startswith("9999") else 1)


def test_updated_since_returns_changes_at_or_after_the_moment(client):
    old = ArticleFactory(slug="old")
    from news.models import Article

    Article.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - datetime.timedelta(days=10),
        published_at=timezone.now() - datetime.timedelta(days=10),
    )
    ArticleFactory(slug="new")
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    slugs = [
        item["slug"]
        for item in client.get("/api/v1/news/", {"updated_since": since}).json()[
            "results"
        ]
    ]
    assert slugs == ["new"]


def test_members_count_as_changed_when_what_they_show_of_their_tier_changes(client):
    from members.models import Member
    from tests.factories import TierFactory

    tier = TierFactory(name="Council member")
    MemberFactory(slug="in-tier", tier=tier)
    MemberFactory(slug="elsewhere")
    Member.objects.update(updated_at=timezone.now() - datetime.timedelta(days=1))
    since = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()

    def changed():
        items = client.get("/api/v1/members/", {"updated_since": since}).json()
        return [item["slug"] for item in items["results"]]

    tier.description_en = "Not shown in the API."
    tier.save()
    assert changed() == []
    tier.name_en = "Board member"
    tier.save()
    assert changed() == ["in-tier"]
    assert client.get("/api/v1/members/in-tier/").json()["tier"]["name"] == (
        "Board member"
    )


def test_a_scheduled_article_counts_as_changed_when_it_goes_live(client):
    from news.models import Article

    article = ArticleFactory(
        slug="later", published_at=timezone.now() + datetime.timedelta(hours=1)
    )
    assert client.get("/api/v1/news/").json()["results"] == []
    # Its time comes: published_at is now later than its last edit.
    Article.objects.filter(pk=article.pk).update(
        published_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    since = (timezone.now() - datetime.timedelta(minutes=5)).isoformat()
    items = client.get("/api/v1/news/", {"updated_since": since}).json()["results"]
    assert [item["slug"] for item in items] == ["later"]


def test_paging_neither_skips_nor_repeats_while_items_change(client):
    members = [MemberFactory(slug=f"m{index:02}") for index in range(25)]
    seen = []
    response = client.get("/api/v1/members/?page_size=10").json()
    seen += [item["slug"] for item in response["results"]]
    # Meanwhile: an early item is edited, one is added, one not yet seen is deleted.
    members[0].name_en = "Edited"
    members[0].save()
    MemberFactory(slug="z-new")
    members[20].delete()
    while response["next"]:
        response = client.get(response["next"]).json()
        seen += [item["slug"] for item in response["results"]]
    assert len(seen) == len(set(seen))
    expected = {f"m{index:02}" for index in range(25)} - {"m20"} | {"z-new"}
    assert set(seen) == expected


def test_deep_pages_use_the_cursor_not_an_offset(client):
    MemberFactory.create_batch(30)
    response = client.get("/api/v1/members/?page_size=5").json()
    for _ in range(4):
        response = client.get(response["next"]).json()
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        client.get(response["next"])
    main = [
        q["sql"]
        for q in queries.captured_queries
        if 'FROM "members_member"' in q["sql"]
    ][0]
    assert "OFFSET" not in main.upper() or "OFFSET 0" in main.upper()
    assert '"members_member"."id" >' in main


def test_conditional_get_answers_304(client):
    ArticleFactory(slug="a")
    first = client.get("/api/v1/news/a/")
    assert first["ETag"] and first["Last-Modified"]
    assert first["Cache-Control"] == "public, max-age=60"
    assert (
        client.get(
            "/api/v1/news/a/", headers={"If-None-Match": first["ETag"]}
        ).status_code
        == 304
    )
    assert (
        client.get(
            "/api/v1/news/a/", headers={"If-Modified-Since": first["Last-Modified"]}
        ).status_code
        == 304
    )
    listing = client.get("/api/v1/news/")
    assert (
        client.get(
            "/api/v1/news/", headers={"If-None-Match": listing["ETag"]}
        ).status_code
        == 304
    )


def test_the_api_root_has_the_headers_of_every_answer(client):
    root = client.get("/api/v1/")
    assert root.status_code == 200
    assert "http://testserver/api/v1/members/" in root.json().values()
    assert root["Last-Modified"] and root["ETag"]
    assert root["Cache-Control"] == "public, max-age=60"
    assert root["Content-Language"] == "en"
    assert (
        client.get(
            "/api/v1/", headers={"If-Modified-Since": root["Last-Modified"]}
        ).status_code
        == 304
    )
    assert client.get("/api/v1/?colour=blue").status_code == 400


def test_cors_is_open_for_reading_the_api_only(client):
    ArticleFactory(slug="a")
    api = client.get("/api/v1/news/", headers={"Origin": "https://partner.example"})
    assert api["Access-Control-Allow-Origin"] == "*"
    page = client.get("/news/", headers={"Origin": "https://partner.example"})
    assert "Access-Control-Allow-Origin" not in page


def test_tombstones_record_unpublishing_deletion_and_renaming(client):
    member = MemberFactory(slug="leaving")
    tag = TagFactory(slug="gone")
    article = ArticleFactory(slug="old-slug")
    never_public = ArticleFactory(slug="draft-only", status="draft")
    page = PageFactory(slug="charter")
    start = timezone.now()
    page.delete()
    member.status = "draft"
    member.save()
    tag.delete()
    article.slug = "new-slug"
    article.save()
    never_public.delete()
    items = client.get("/api/v1/tombstones/", {"since": start.isoformat()}).json()[
        "results"
    ]
    found = {(item["resource"], item["slug"], item["reason"]) for item in items}
    assert found == {
        ("members", "leaving", "unpublished"),
        ("tags", "gone", "deleted"),
        ("news", "old-slug", "deleted"),
        ("pages", "charter", "deleted"),
    }
    only_members = client.get("/api/v1/tombstones/", {"resource": "members"}).json()[
        "results"
    ]
    assert [item["slug"] for item in only_members] == ["leaving"]


def test_republishing_removes_the_tombstone(client):
    member = MemberFactory(slug="back")
    member.status = "draft"
    member.save()
    assert Tombstone.objects.filter(slug="back").exists()
    member.status = "published"
    member.save()
    assert not Tombstone.objects.filter(slug="back").exists()


def test_bulk_unpublish_leaves_tombstones(client):
    from members.models import Member

    MemberFactory.create_batch(3)
    MemberFactory(status="draft", slug="was-draft")
    Member.objects.all().unpublish()
    assert Tombstone.objects.filter(resource="members").count() == 3
    assert not Tombstone.objects.filter(slug="was-draft").exists()


def create_key(**extra):
    key_object, key = PartnerKey.objects.create_key(
        name="Partner portal", partner="Partner", **extra
    )
    return key_object, key


def test_a_partner_key_is_stored_hashed_and_its_use_recorded(client):
    key_object, key = create_key()
    assert key not in key_object.hashed_key
    response = client.get("/api/v1/news/", headers={"X-Api-Key": key})
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, max-age=60"
    key_object.refresh_from_db()
    assert key_object.last_used_at is not None
    assert (
        client.get(
            "/api/v1/news/", headers={"Authorization": f"Api-Key {key}"}
        ).status_code
        == 200
    )


def test_a_revoked_or_wrong_key_is_refused(client):
    key_object, key = create_key(revoked=True)
    response = client.get("/api/v1/news/", headers={"X-Api-Key": key})
    assert response.status_code == 401 and "revoked" in response.json()["detail"]
    assert (
        client.get("/api/v1/news/", headers={"X-Api-Key": "nope.nope"}).status_code
        == 401
    )


def test_an_expired_key_is_refused_like_a_revoked_one(client):
    expiry = timezone.now() + datetime.timedelta(days=1)
    key_object, key = create_key(expiry_date=expiry)
    assert client.get("/api/v1/news/", headers={"X-Api-Key": key}).status_code == 200
    with time_machine.travel(expiry + datetime.timedelta(seconds=1)):
        response = client.get("/api/v1/news/", headers={"X-Api-Key": key})
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Api-Key"
        assert "expired" in response.json()["detail"]
        # Also without the key in the usual header.
        response = client.get(
            "/api/v1/members/", headers={"Authorization": f"Api-Key {key}"}
        )
        assert response.status_code == 401
    key_object.refresh_from_db()
    assert key_object.last_used_at < expiry


def test_anonymous_clients_are_throttled_and_told_when_to_retry(client, settings):
    from rest_framework.settings import api_settings

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon": "3/hour"}
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": rates,
    }
    api_settings.reload()
    try:
        from alliance.kernel.api.backends import AnonymousThrottle, PartnerThrottle

        AnonymousThrottle.THROTTLE_RATES = PartnerThrottle.THROTTLE_RATES = rates
        for _ in range(3):
            assert client.get("/api/v1/tags/").status_code == 200
        response = client.get("/api/v1/tags/")
        assert response.status_code == 429
        assert int(response["Retry-After"]) > 0
        assert "throttled" in response.json()["detail"].lower()
        # A partner key has its own, higher allowance.
        _key_object, key = create_key()
        assert (
            client.get("/api/v1/tags/", headers={"X-Api-Key": key}).status_code == 200
        )
    finally:
        api_settings.reload()
        from rest_framework.throttling import SimpleRateThrottle

        AnonymousThrottle.THROTTLE_RATES = PartnerThrottle.THROTTLE_RATES = (
            SimpleRateThrottle.THROTTLE_RATES
        )


@pytest.fixture
def low_rates(monkeypatch):
    """Allowances small enough to use up: 3 an hour anonymously, 2 per key (hours,
    so that no test straddles the edge of a window)."""
    from alliance.kernel.api.backends import AnonymousThrottle, PartnerThrottle

    rates = {"anon": "3/hour", "partner": "2/hour"}
    monkeypatch.setattr(AnonymousThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(PartnerThrottle, "THROTTLE_RATES", rates)


def test_a_partner_key_has_its_own_allowance_apart_from_anonymous_clients(
    client, low_rates
):
    _first, first_key = create_key()
    _second, second_key = create_key()

    def get(key=None):
        headers = {"X-Api-Key": key} if key else {}
        return client.get("/api/v1/tags/", headers=headers)

    assert [get(first_key).status_code for _ in range(2)] == [200, 200]
    refused = get(first_key)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "throttled" in refused.json()["detail"].lower()
    # Another key, and anonymous clients, still have their whole allowance.
    assert [get(second_key).status_code for _ in range(2)] == [200, 200]
    assert [get().status_code for _ in range(3)] == [200, 200, 200]
    assert get().status_code == 429
    # With the anonymous allowance used up, a key is still served.
    _third, third_key = create_key()
    assert get(third_key).status_code == 200


def test_a_forged_forwarded_for_header_does_not_escape_the_api_limit(client):
    from alliance.kernel.api.backends import AnonymousThrottle

    original = AnonymousThrottle.THROTTLE_RATES
    AnonymousThrottle.THROTTLE_RATES = {**original, "anon": "3/hour"}
    try:
        statuses = [
            client.get(
                "/api/v1/tags/", headers={"X-Forwarded-For": f"198.51.100.{index}"}
            ).status_code
            for index in range(4)
        ]
    finally:
        AnonymousThrottle.THROTTLE_RATES = original
    assert statuses == [200, 200, 200, 429]


def test_last_modified_moves_when_a_nested_object_or_a_deletion_changes_the_answer(
    client,
):
    with time_machine.travel(timezone.now(), tick=True) as traveller:
        member = MemberFactory(slug="acme", name="Acme Orbital")
        ArticleFactory(slug="a", members=[member])
        doomed = MemberFactory(slug="doomed")
        detail = client.get("/api/v1/news/a/")
        listing = client.get("/api/v1/members/")
        traveller.shift(1.1)  # Last-Modified counts whole seconds
        member.name = "Acme Space"
        member.save()
        again = client.get(
            "/api/v1/news/a/", headers={"If-Modified-Since": detail["Last-Modified"]}
        )
        assert again.status_code == 200
        assert again.json()["members"][0]["name"] == "Acme Space"
        listing_ims = client.get("/api/v1/members/")["Last-Modified"]
        traveller.shift(1.1)
        doomed.delete()
        shorter = client.get(
            "/api/v1/members/", headers={"If-Modified-Since": listing_ims}
        )
        assert shorter.status_code == 200
        assert [item["slug"] for item in shorter.json()["results"]] == ["acme"]
        assert listing.status_code == 200
