import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    PageFactory,
    ScenarioFactory,
)

pytestmark = pytest.mark.django_db


def test_every_admin_list_and_form_opens(admin_client):
    ArticleFactory()
    ScenarioFactory()
    EventFactory()
    InitiativeFactory()
    PageFactory()
    for model in admin.site._registry:
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert admin_client.get(changelist).status_code == 200, changelist
        assert admin_client.get(changelist, {"q": "sample"}).status_code == 200, (
            changelist
        )
        add = reverse(f"admin:{opts.app_label}_{opts.model_name}_add")
        # Applications arrive through the public form only; tombstones and sign-in
        # records are written by the site itself.
        written_by_the_site = (
            opts.model_name in {"membershipapplication", "tombstone"}
            or opts.app_label == "axes"
        )
        expected = 403 if written_by_the_site else 200
        assert admin_client.get(add).status_code == expected, add


def test_article_admin_shows_visibility_and_links_a_preview(admin_client):
    import datetime

    from django.utils import timezone

    draft = ArticleFactory(title="Draft piece", status="draft")
    ArticleFactory(
        title="Scheduled piece",
        published_at=timezone.now() + datetime.timedelta(days=1),
    )
    html = admin_client.get("/admin/news/article/").content.decode()
    assert "Scheduled" in html and "Draft" in html
    change = admin_client.get(
        f"/admin/news/article/{draft.pk}/change/"
    ).content.decode()
    assert f'href="{draft.get_absolute_url()}?preview"' in change
    assert (
        admin_client.get("/admin/news/article/?visibility=scheduled")
        .context["cl"]
        .result_count
        == 1
    )


def test_bulk_publish_of_scenarios(admin_client):
    drafts = ScenarioFactory.create_batch(2, status="draft")
    admin_client.post(
        "/admin/alliance/scenario/",
        {"action": "publish_selected", "_selected_action": [s.pk for s in drafts]},
    )
    from alliance.content.models import Scenario

    assert Scenario.objects.published().count() == 2


def test_autocomplete_finds_members_for_editors_forms(admin_client):
    from tests.factories import MemberFactory

    MemberFactory(name_en="Findable Orbit")
    response = admin_client.get(
        "/admin/autocomplete/",
        {
            "term": "Findable",
            "app_label": "news",
            "model_name": "article",
            "field_name": "members",
        },
    )
    assert response.status_code == 200
    assert [item["text"] for item in response.json()["results"]] == ["Findable Orbit"]


def test_an_administrator_issues_a_partner_key_shown_once(admin_client):
    from alliance.kernel.models import PartnerKey

    response = admin_client.post(
        "/admin/kernel/partnerkey/add/",
        {"name": "Portal sync", "partner": "City portal"},
        follow=True,
    )
    assert response.status_code == 200
    key = PartnerKey.objects.get(partner="City portal")
    message = [str(m) for m in response.context["messages"]][0]
    assert key.prefix in message and key.hashed_key not in message
