"""Only http, https and mailto addresses are ever written into a link."""

import re

import pytest
from django.contrib import admin
from django.core.exceptions import ValidationError

from alliance.content.models import Event
from alliance.kernel.links import is_safe_link
from members.models import Member, MembershipApplication
from news.models import Article
from tests.factories import (
    ArticleFactory,
    EventFactory,
    MemberFactory,
    SectorFactory,
    TierFactory,
)

pytestmark = pytest.mark.django_db

BAD_ADDRESSES = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "ftp://files.example/logo.png",
]


@pytest.mark.parametrize(
    "url, safe",
    [
        ("https://orbit.example/", True),
        ("http://orbit.example/path?q=1", True),
        ("mailto:office@orbit.example", True),
        ("HTTPS://ORBIT.EXAMPLE/", True),
        ("javascript:alert(1)", False),
        (" javascript:alert(1)", False),
        ("java\tscript:alert(1)", False),
        ("java\nscript:alert(1)", False),
        ("data:text/html;base64,PHNjcmlwdD4=", False),
        ("ftp://files.example/", False),
        ("/relative/path", False),
        ("", False),
        (None, False),
    ],
)
def test_only_web_and_mail_addresses_are_safe_links(url, safe):
    assert is_safe_link(url) is safe


@pytest.mark.parametrize("bad", BAD_ADDRESSES)
def test_the_admin_refuses_a_member_website_that_is_not_a_web_address(
    admin_client, bad
):
    tier, sector = TierFactory(), SectorFactory()
    response = admin_client.post(
        "/admin/members/member/add/",
        {
            "name_en": "Link Test Co",
            "slug": "link-test",
            "status": "published",
            "tier": tier.pk,
            "sectors": [sector.pk],
            "country": "CN",
            "website": bad,
        },
    )
    assert response.status_code == 200
    assert "Enter a web address that starts with http:// or https://." in (
        response.content.decode()
    )
    assert not Member.objects.filter(slug="link-test").exists()


def test_the_admin_saves_a_member_website_that_is_a_web_address(admin_client):
    tier, sector = TierFactory(), SectorFactory()
    response = admin_client.post(
        "/admin/members/member/add/",
        {
            "name_en": "Link Test Co",
            "slug": "link-test",
            "status": "published",
            "tier": tier.pk,
            "sectors": [sector.pk],
            "country": "CN",
            "website": "https://link-test.example/",
        },
    )
    assert response.status_code == 302
    assert Member.objects.get(slug="link-test").website == "https://link-test.example/"


def test_the_admin_refuses_an_event_website_with_a_script(admin_client):
    response = admin_client.post(
        "/admin/alliance/event/add/",
        {
            "name_en": "Forum",
            "slug": "forum",
            "status": "published",
            "starts_on": "2027-01-10",
            "ends_on": "2027-01-11",
            "website": "ftp://forum.example/",
        },
    )
    assert response.status_code == 200
    assert "Enter a web address that starts with http:// or https://." in (
        response.content.decode()
    )
    assert not Event.objects.exists()


@pytest.mark.parametrize("bad", BAD_ADDRESSES)
def test_the_article_admin_form_refuses_a_source_that_is_not_a_web_address(
    rf, admin_user, bad
):
    request = rf.get("/admin/news/article/add/")
    request.user = admin_user
    form_class = admin.site._registry[Article].get_form(request)
    form = form_class(data={"source_url": bad})
    assert not form.is_valid()
    assert "source_url" in form.errors


@pytest.mark.parametrize(
    "model, field", [(Member, "website"), (Event, "website"), (Article, "source_url")]
)
def test_every_url_field_a_reader_sees_rejects_scripts_on_save(model, field):
    with pytest.raises(ValidationError):
        model._meta.get_field(field).clean("javascript:alert(1)", None)
    with pytest.raises(ValidationError):
        model._meta.get_field(field).clean("ftp://files.example/", None)
    assert model._meta.get_field(field).clean("https://ok.example/", None)


def test_the_join_form_refuses_a_script_address(client):
    response = client.post(
        "/members/join/",
        {
            "organization_name": "Orbit Start",
            "country": "SG",
            "capability": "Small satellite buses.",
            "contact_name": "Ada",
            "contact_email": "ada@orbit.example",
            "website": "javascript:alert(1)",
        },
    )
    assert response.status_code == 400
    assert "Enter a web address that starts with http:// or https://." in (
        response.content.decode()
    )
    assert not MembershipApplication.objects.exists()


def test_a_bad_address_stored_before_the_rule_is_never_linked(client):
    """Rows written around the forms (old data, a raw update) still get no link."""
    member = MemberFactory(slug="old", website="https://old.example/")
    event = EventFactory(slug="old-forum")
    article = ArticleFactory(slug="old-news", source_name="Old Daily")
    Member.objects.filter(pk=member.pk).update(website="javascript:alert(1)")
    Event.objects.filter(pk=event.pk).update(website="javascript:alert(2)")
    Article.objects.filter(pk=article.pk).update(source_url="javascript:alert(3)")

    for path in ("/members/old/", "/events/old-forum/", "/news/old-news/"):
        html = client.get(path).content.decode()
        assert "javascript:" not in html, path
    # The source is still named, without a link.
    assert re.search(
        r"Source:\s*Old Daily\s*</p>", client.get("/news/old-news/").content.decode()
    )
