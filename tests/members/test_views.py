import csv
import io
import json
import re
import smtplib

import factory
import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.models import ApplicationStatus, MembershipApplication
from members.services import application_notify
from tests.factories import (
    ArticleFactory,
    InitiativeFactory,
    MemberFactory,
    MembershipApplicationFactory,
    ScenarioParticipationFactory,
    SectorFactory,
    TierFactory,
)
from tests.helpers import application_data, assert_valid_html

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
    facets = client.get("/members/").context["view"].facets()
    sectors = {sector.slug: count for sector, count in facets["sectors"]}
    assert sectors == {"remote-sensing": 1, "launch": 1}
    tiers = {tier.slug: count for tier, count in facets["tiers"]}
    assert tiers == {"founding": 1, "observer": 1}
    countries = {code: count for code, _name, count in facets["countries"]}
    assert countries == {"CN": 1, "DE": 1}


def test_filter_links_keep_the_other_filters_and_go_back_to_page_one(client, directory):
    html = client.get("/members/?country=CN&q=co&page=1").content.decode()
    # A sector link adds the sector to the filters already chosen, on page 1.
    assert 'href="?country=CN&amp;q=co&amp;page=1&amp;sector=launch"' in html
    # "All countries" drops that filter and the page, and keeps the others.
    assert 'href="/members/?q=co" aria-current' not in html
    assert 'href="/members/?q=co">All countries and regions' in html
    # The CSV download exports what the page shows.
    assert 'href="/members/export.csv?country=CN&amp;q=co&amp;page=1"' in html


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
    # A byte-order mark first, so that Excel reads the file as UTF-8.
    assert response.content.startswith("\ufeff".encode())
    body = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert [row["slug"] for row in rows] == ["rocket"]
    assert rows[0]["url"] == "http://testserver/members/rocket/"
    for marker in PRIVATE_MARKERS:
        assert marker not in body


def test_csv_export_escapes_spreadsheet_formulas(client):
    for n, summary in enumerate(
        ['=HYPERLINK("http://x")', "+1", "-2", "@SUM(1)", "\tx"]
    ):
        MemberFactory(slug=f"formula-{n}", summary=summary)
    MemberFactory(slug="plain", name="示例公司", summary="A plain summary")
    response = client.get("/members/export.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    summaries = {row["slug"]: row["summary"] for row in rows}
    assert summaries["formula-0"] == '\'=HYPERLINK("http://x")'
    assert [summaries[f"formula-{n}"] for n in range(1, 5)] == [
        "'+1",
        "'-2",
        "'@SUM(1)",
        "'\tx",
    ]
    assert summaries["plain"] == "A plain summary"
    assert any(row["name"] == "示例公司" for row in rows)


def test_embed_is_the_only_framable_page(client, directory):
    embed = client.get("/embed/members/")
    assert "X-Frame-Options" not in embed
    site_policy = client.get("/members/")["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in site_policy
    # The site's whole policy, with only frame-ancestors widened.
    assert embed["Content-Security-Policy"] == site_policy.replace(
        "frame-ancestors 'none'", "frame-ancestors *"
    )
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'"):
        assert directive in embed["Content-Security-Policy"]
    assert 'target="_blank"' in embed.content.decode()
    assert "Hidden Draft Member" not in embed.content.decode()
    for path in ("/", "/members/", "/members/rocket/"):
        assert client.get(path)["X-Frame-Options"] == "DENY"


def queries_of(client, path):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("path", ["/members/", "/members/?sector=launch"])
def test_directory_runs_the_same_queries_for_10_and_500_members(client, settings, path):
    settings.RESPONSE_CACHE_SECONDS = 0  # measure the page, not the response cache
    sectors = [SectorFactory(slug="launch"), *SectorFactory.create_batch(2)]
    tiers = TierFactory.create_batch(3)

    def add_members(count):
        MemberFactory.create_batch(
            count,
            sectors=sectors,
            tier=factory.Iterator(tiers),
            country=factory.Iterator(["CN", "DE", "SG", "FR"]),
        )

    add_members(10)
    at_10 = queries_of(client, path)
    add_members(490)
    at_500 = queries_of(client, path)
    assert at_10 == at_500 <= 11  # with the read of the change time


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


def test_join_form_saves_the_application_and_tells_the_managers(
    client, settings, django_capture_on_commit_callbacks
):
    settings.MEMBERSHIP_NOTIFY_EMAILS = ["managers@alliance.example"]
    with django_capture_on_commit_callbacks(execute=True):
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


def test_the_managers_hear_of_an_application_only_once_it_is_committed(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        client.post("/members/join/", application_data())
    assert MembershipApplication.objects.count() == 1
    # The managers' notice and the applicant's receipt.
    assert mail.outbox == [] and len(callbacks) == 2


class FailingMailBackend(BaseEmailBackend):
    """A mail server that is down."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPException("Connection unexpectedly closed")


def test_a_mail_outage_keeps_the_application_and_confirms_it(
    client, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = f"{__name__}.FailingMailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/members/join/", application_data(), follow=True)
    assert response.redirect_chain == [("/members/join/thanks/", 302)]
    assert response.status_code == 200
    application = MembershipApplication.objects.get()
    assert application.organization_name == "Orbit Start"
    assert f"notice of membership application {application.pk}" in caplog.text


@pytest.mark.parametrize("line_break", ["\r\n", "\n", "\r", "\u2028", "\x85"])
def test_a_line_break_in_a_name_is_refused_with_a_field_error(client, line_break):
    response = client.post(
        "/members/join/",
        application_data(organization_name=f"Evil Org{line_break}Bcc: x@y.example"),
    )
    assert response.status_code == 400
    assert "on one line" in response.context["form"].errors["organization_name"][0]
    assert MembershipApplication.objects.count() == 0


def test_the_one_line_error_is_translated_on_the_chinese_form(client):
    response = client.post(
        "/zh-hans/members/join/",
        application_data(organization_name="Evil Org\r\nBcc: x@y.example"),
    )
    assert response.status_code == 400
    assert "请在一行内填写" in response.content.decode()


def test_paragraphs_are_kept_in_the_longer_texts(client):
    response = client.post(
        "/members/join/",
        application_data(capability="Buses.\r\n\r\n\tGround software."),
    )
    assert response.status_code == 302
    assert MembershipApplication.objects.get().capability == (
        "Buses.\r\n\r\n\tGround software."
    )


def test_the_notice_subject_is_one_line_even_for_a_stored_name_with_line_breaks(
    settings,
):
    application = MembershipApplicationFactory(
        organization_name="Evil Org\r\nBcc: x@y.example\u2028 more"
    )
    application_notify.call(
        application_id=application.pk, site_url="https://alliance.example"
    )
    [notice] = mail.outbox
    assert notice.subject == "New application to join: Evil Org Bcc: x@y.example more"


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


def test_a_forged_forwarded_for_header_does_not_escape_the_join_limit(client):
    for index in range(6):
        response = client.post(
            "/members/join/",
            application_data(organization_name=f"Org {index}"),
            headers={"X-Forwarded-For": f"198.51.100.{index}"},
        )
    assert response.status_code == 429


def test_behind_a_trusted_proxy_each_client_has_its_own_join_limit(client, settings):
    from rest_framework.settings import api_settings

    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    api_settings.reload()
    try:
        statuses = [
            client.post(
                "/members/join/",
                application_data(organization_name=f"Org {index}"),
                headers={"X-Forwarded-For": f"198.51.100.{index}"},
            ).status_code
            for index in range(6)
        ]
    finally:
        api_settings.reload()
    assert 429 not in statuses


def test_the_directory_follows_a_change_of_tier_order(client):
    first = TierFactory(name="Founding", order=1)
    second = TierFactory(name="Observer", order=2)
    MemberFactory(name="Zeta Orbital", tier=first)
    MemberFactory(name="Alpha Space", tier=second)
    html = client.get("/members/").content.decode()
    assert html.index("Zeta Orbital") < html.index("Alpha Space")
    second.order = 0
    second.save()
    html = client.get("/members/").content.decode()
    assert html.index("Alpha Space") < html.index("Zeta Orbital")


def test_the_directory_filters_by_country_or_region_and_lists_only_those_in_use(
    client, admin_client
):
    MemberFactory(country="HK")
    MemberFactory(country="TW")
    MemberFactory(country="FR", status="draft")  # not public: not offered
    html = client.get("/members/").content.decode()
    assert "<h2>Country or region</h2>" in html
    assert ">All countries and regions</a>" in html
    assert "<h2>Country</h2>" not in html
    offered = re.findall(r'href="\?country=(\w\w)[^"]*"', html)
    assert sorted(offered) == ["HK", "TW"]
    chinese = client.get("/zh-hans/members/").content.decode()
    assert "<h2>国家或地区</h2>" in chinese
    # The admin's field and the join form say the same.
    assert (
        "Country or region:"
        in admin_client.get("/admin/members/member/add/").content.decode()
    )
    assert re.search(
        r'<label for="id_country">Country or region',
        client.get("/members/join/").content.decode(),
    )
