"""The site search: what it finds, how it ranks and counts, and that it stays cheap."""

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from alliance.content.models import Page
from alliance.kernel import search
from alliance.kernel.search import search_terms, tsquery_text
from members.models import Member
from news.models import Article
from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    MemberFactory,
    PageFactory,
    ScenarioFactory,
)
from tests.helpers import assert_valid_html

pytestmark = pytest.mark.django_db

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="search documents and their trigger exist on PostgreSQL only",
)


def found(client, query, kind="news", path="/search/"):
    """Titles (or names) of the results of one kind, in the order shown."""
    search_result = client.get(path, {"q": query}).context["search"]
    for group in search_result.groups:
        if group.key == kind:
            return [hit.text for hit in group.hits]
    return []


# --- What a search finds -------------------------------------------------------


def test_search_groups_results_by_kind_and_highlights(client):
    ArticleFactory(title="Energy grid news")
    MemberFactory(name="Energy Sat Co")
    ScenarioFactory(title="Energy inspection")
    EventFactory(name="Energy forum")
    ArticleFactory(title="Energy draft", status="draft")
    response = client.get("/search/?q=energy")
    html = response.content.decode()
    assert_valid_html(html)
    assert [group.key for group in response.context["search"].groups] == [
        "news",
        "members",
        "scenarios",
        "events",
    ]
    assert "<mark>Energy</mark> grid news" in html
    assert "Energy draft" not in html


def test_search_finds_chinese_words(client):
    ScenarioFactory(title_en="Grid inspection", title_zh_hans="能源巡检")
    response = client.get("/search/?q=能源")
    assert response.context["search"].total == 1
    assert found(client, "能源", "scenarios") == ["Grid inspection"]


def test_a_two_character_chinese_word_is_found_in_the_body(client):
    ArticleFactory(title="Grid", body_zh_hans="本项目利用卫星遥感监测能源设施。")
    ArticleFactory(title="Other", body_zh_hans="本项目监测交通。")
    assert found(client, "能源") == ["Grid"]
    assert found(client, "卫星") == ["Grid"]


def test_a_chinese_phrase_matches_only_where_its_characters_stand_together(client):
    ArticleFactory(title="Together", summary_zh_hans="建设卫星网络平台")
    ArticleFactory(title="Apart", summary_zh_hans="卫星通信与地面网络")
    assert found(client, "卫星网络") == ["Together"]
    assert sorted(found(client, "卫星 网络")) == ["Apart", "Together"]


def test_a_single_chinese_character_matches_anywhere_in_a_word(client):
    ArticleFactory(title="Start", title_zh_hans="星座")
    ArticleFactory(title="End", title_zh_hans="卫星")
    ArticleFactory(title="Neither", title_zh_hans="能源")
    assert sorted(found(client, "星")) == ["End", "Start"]


def test_words_match_in_any_order_and_by_their_start(client):
    ArticleFactory(title="Networks of small satellites")
    ArticleFactory(title="Satellite imagery")
    assert found(client, "satellite network") == ["Networks of small satellites"]
    assert sorted(found(client, "SATELLITE")) == [
        "Networks of small satellites",
        "Satellite imagery",
    ]


def test_short_words_match_whole_words_only(client):
    ArticleFactory(title="AI for maps")
    ArticleFactory(title="Air quality")
    if connection.vendor == "postgresql":
        assert found(client, "ai") == ["AI for maps"]
    else:
        # The SQLite fallback looks for the letters anywhere.
        assert sorted(found(client, "ai")) == ["AI for maps", "Air quality"]


def test_the_search_matches_either_language_from_either_interface(client):
    ArticleFactory(title_en="Energy grid", title_zh_hans="能源电网")
    for path in ("/search/", "/zh-hans/search/"):
        for query in ("energy", "电网"):
            assert len(found(client, query, path=path)) == 1, (path, query)
    html = client.get("/zh-hans/search/", {"q": "电网"}).content.decode()
    assert "能源<mark>电网</mark>" in html


def test_members_match_on_their_short_name_and_capability(client):
    MemberFactory(name="China Aerospace Example Corp.", short_name="CAEC")
    MemberFactory(name="Ground Co", capability="Ground stations in the Arctic")
    assert found(client, "caec", "members") == ["China Aerospace Example Corp."]
    assert found(client, "arctic", "members") == ["Ground Co"]


def test_private_member_fields_are_never_searched(client):
    MemberFactory(contact_name="Zebedee Quill", internal_notes="Wobbleton matter")
    assert found(client, "zebedee", "members") == []
    assert found(client, "wobbleton", "members") == []


# --- Only what is published ------------------------------------------------------


def test_drafts_and_scheduled_content_are_never_found_or_counted(client):
    ArticleFactory(title="Orbit draft", status="draft")
    ArticleFactory(
        title="Orbit scheduled",
        published_at=timezone.now() + datetime.timedelta(days=1),
    )
    MemberFactory(name="Orbit draft member", status="draft")
    ScenarioFactory(title="Orbit draft scenario", status="draft")
    EventFactory(name="Orbit draft event", status="draft")
    response = client.get("/search/", {"q": "orbit"})
    assert response.context["search"].groups == []
    assert "Orbit" not in response.content.decode().split("<main")[1]


def test_an_unpublished_item_leaves_the_search(client):
    article = ArticleFactory(title="Withdrawn orbit story")
    member = MemberFactory(name="Withdrawn Orbit Co")
    assert found(client, "withdrawn") == ["Withdrawn orbit story"]
    Article.objects.filter(pk=article.pk).unpublish()
    member.status = "draft"
    member.save()
    assert found(client, "withdrawn") == []
    assert found(client, "withdrawn", "members") == []


def test_an_edited_title_is_searched_as_edited(client):
    article = ArticleFactory(title="Old headline")
    article.title = "New headline"
    article.save()
    assert found(client, "new") == ["New headline"]
    assert found(client, "old") == []
    Article.objects.filter(pk=article.pk).update(title_en="Third headline")
    assert found(client, "third") == ["Third headline"]


@on_postgresql
def test_rows_written_in_bulk_are_searchable(client):
    # generate_load_data writes this way: no save(), so no Python hook runs.
    source = ArticleFactory.build(title="Bulk orbit", body_zh_hans="批量能源")
    Article.objects.bulk_create([source])
    assert found(client, "bulk") == ["Bulk orbit"]
    assert found(client, "能源") == ["Bulk orbit"]


def test_initiatives_and_pages_are_found_in_either_language(client):
    InitiativeFactory(
        name_en="Aerospace Information Fund Group",
        name_zh_hans="航天信息产业基金群",
        slug="fund-group",
        participants_note_en="Backed by ten investment institutions.",
    )
    PageFactory(
        title_en="How to join",
        title_zh_hans="如何加入",
        slug="join-us",
        body_en="Send the application form to the secretariat.",
        body_zh_hans="请向秘书处提交入会申请表。",
    )
    assert found(client, "fund", "initiatives") == ["Aerospace Information Fund Group"]
    assert found(client, "institutions", "initiatives") == [
        "Aerospace Information Fund Group"
    ]
    assert found(client, "基金", "initiatives") == ["Aerospace Information Fund Group"]
    assert found(client, "secretariat", "pages") == ["How to join"]
    assert found(client, "秘书处", "pages") == ["How to join"]
    chinese = client.get("/zh-hans/search/", {"q": "基金群"})
    html = chinese.content.decode()
    assert_valid_html(html)
    assert 'href="/zh-hans/initiatives/fund-group/"' in html
    assert "航天信息产业<mark>基金群</mark>" in html
    assert (
        'href="/zh-hans/join-us/"'
        in client.get("/zh-hans/search/", {"q": "申请表"}).content.decode()
    )


def test_draft_initiatives_and_pages_are_never_found(client):
    InitiativeFactory(name="Orbit fund", status="draft")
    PageFactory(title="Orbit charter", status="draft")
    PageFactory(title="Orbit contact")
    groups = client.get("/search/", {"q": "orbit"}).context["search"].groups
    assert [(g.key, [h.text for h in g.hits]) for g in groups] == [
        ("pages", ["Orbit contact"])
    ]


def test_an_edited_initiative_or_page_is_searched_as_edited(client):
    initiative = InitiativeFactory(name="Old programme")
    page = PageFactory(title="Old page")
    initiative.name = "Renamed programme"
    initiative.save()
    Page.objects.filter(pk=page.pk).update(body_zh_hans="新增的卫星内容")
    assert found(client, "renamed", "initiatives") == ["Renamed programme"]
    assert found(client, "old", "initiatives") == []
    assert found(client, "卫星", "pages") == ["Old page"]


# --- Ranking and counting --------------------------------------------------------


def test_search_ranks_title_then_summary_then_body_then_newest(client):
    now = timezone.now()
    ArticleFactory(
        title="In the body", body="satellites", published_at=now - datetime.timedelta(1)
    )
    ArticleFactory(
        title="Other",
        summary="mentions satellites",
        published_at=now - datetime.timedelta(2),
    )
    ArticleFactory(title="Satellites old", published_at=now - datetime.timedelta(4))
    ArticleFactory(title="Satellites new", published_at=now - datetime.timedelta(3))
    assert found(client, "satellites") == [
        "Satellites new",
        "Satellites old",
        "Other",
        "In the body",
    ]


def test_counts_beyond_the_pool_are_shown_as_at_least(client, monkeypatch):
    monkeypatch.setattr(search, "POOL", 3)
    for index in range(5):
        ArticleFactory(title=f"Orbit {index}")
    MemberFactory(name="Orbit member")
    response = client.get("/search/", {"q": "orbit"})
    news, members = response.context["search"].groups
    assert (int(news.count), news.count.capped, str(news.count)) == (3, True, "3+")
    assert (int(members.count), members.count.capped, str(members.count)) == (
        1,
        False,
        "1",
    )
    html = response.content.decode()
    assert "(3+)" in html and "(1)" in html
    assert "4+ results for" in html
    assert "All 3+ articles</a>" in html


def test_search_escapes_what_it_highlights(client):
    ArticleFactory(title="<b>Bold</b> claims")
    html = client.get("/search/?q=bold").content.decode()
    assert "&lt;b&gt;<mark>Bold</mark>&lt;/b&gt; claims" in html


@pytest.mark.parametrize(
    ("query", "status", "text"),
    [
        ("", 200, "in English or Chinese"),
        ("zzzzqqq", 200, "Nothing matches"),
        ("a" * 300, 400, "too long"),
        ("\x00\x01", 400, "NUL character"),
        ("\x01\x02", 200, "in English or Chinese"),
        ("%", 200, "Nothing matches"),
        ("' & | ! :* <->", 200, "Nothing matches"),
        ("能源 & ' OR 1=1 --", 200, "Nothing matches"),
    ],
)
def test_odd_searches_get_a_helpful_page(client, query, status, text):
    response = client.get("/search/", {"q": query})
    assert response.status_code == status
    assert text in response.content.decode()


@pytest.mark.parametrize("count", [2, 25])
def test_search_query_count_is_constant(client, assert_max_queries, count):
    for index in range(count):
        ArticleFactory(title=f"Orbit {index}")
        MemberFactory(name=f"Orbit member {index}")
        ScenarioFactory(title=f"Orbit scenario {index}")
        EventFactory(name=f"Orbit event {index}")
    for index in range(count):
        InitiativeFactory(name=f"Orbit initiative {index}")
        PageFactory(title=f"Orbit page {index}")
    # One query per kind, whatever the number of matches; the footer's pages
    # and, the first time, how long that footer may be kept.
    with assert_max_queries(9):  # with the read of the change time
        client.get("/search/?q=orbit")


# --- The pieces ---------------------------------------------------------------------


def test_a_query_is_split_into_words_and_chinese_runs():
    assert search_terms("Low-altitude  能源，卫星网络 5G基站 low") == [
        "low",
        "altitude",
        "能源",
        "卫星网络",
        "5g",
        "基站",
    ]
    assert search_terms("% ' & |") == []


def test_terms_become_a_tsquery_of_word_starts_and_chinese_pairs():
    assert tsquery_text(["satellite", "5g", "能源", "卫星网络", "星"]) == (
        "'satellite':* & '5g' & '能源' & '卫星' & '星网' & '网络' & '星':*"
    )


def test_the_queryset_search_is_what_other_pages_can_use():
    ArticleFactory(title="Energy grid")
    ArticleFactory(title="Energy draft", status="draft")
    MemberFactory(name="Energy Co", short_name="ECO")
    assert [a.title for a in Article.objects.published().search("energy")] == [
        "Energy grid"
    ]
    assert [m.name for m in Member.objects.published().search("eco")] == ["Energy Co"]
    assert not Article.objects.published().search("%").exists()


def test_each_database_searches_its_own_way():
    sql = str(Article.objects.search("energy").query)
    if connection.vendor == "postgresql":
        assert "@@" in sql and "LIKE" not in sql
    else:
        assert "LIKE" in sql and "@@" not in sql


SAMPLES = [
    "Satellite networks for the Chongqing energy grid",
    "low-altitude drones; 5G/6G links (v2.0) at example.org",
    "卫星遥感监测能源设施，建设低空经济示范区。",
    "北斗3号导航系统 and GF-7 imagery",
    "Naïve Éclair “quoted” — dashes",
]


@on_postgresql
@pytest.mark.parametrize("text", SAMPLES)
def test_the_query_side_and_the_database_side_agree(text):
    """Every term of a text, searched for, finds that text; and nothing else does."""
    with connection.cursor() as cursor:
        for term in search_terms(text):
            cursor.execute(
                "SELECT alliance_search_vector(%s) @@ to_tsquery('simple', %s)",
                [text, tsquery_text([term])],
            )
            assert cursor.fetchone()[0], term
        cursor.execute(
            "SELECT alliance_search_vector(%s) @@ to_tsquery('simple', %s)",
            [text, tsquery_text(search_terms("zebra 海洋"))],
        )
        assert not cursor.fetchone()[0]
