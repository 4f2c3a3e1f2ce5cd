"""The news admin: what editors see of an article's visibility, and the members they link."""

import pytest

from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


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
