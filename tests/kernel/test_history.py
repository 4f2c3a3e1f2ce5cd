"""Versions of content through the admin: who, when, before and after, restore."""

import pytest
from django.contrib.auth.models import Group, User

from alliance.content.models import Scenario
from alliance.kernel.history import real_changes
from news.models import Article
from tests.factories import (
    ArticleFactory,
    MemberFactory,
    ScenarioFactory,
    ScenarioParticipationFactory,
    TagFactory,
)
from tests.helpers import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = User.objects.create_user("ed", password="pw-for-tests", is_staff=True)
    user.groups.add(Group.objects.get(name="Editors"))
    client.force_login(user)
    client.user = user
    return client


def change(client, obj, **changes):
    """Open the object's admin change form, change fields, save it as a browser would."""
    url = f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/change/"
    data = form_data(client.get(url).content.decode(), f"{obj._meta.model_name}_form")
    data.update(changes)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    return response


def changed(version):
    """The fields a version changed, as the history page lists them."""
    return [c.field for c in real_changes(version.diff_against(version.prev_record))]


def history_page(client, obj):
    url = f"/admin/{obj._meta.app_label}/{obj._meta.model_name}/{obj.pk}/history/"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_an_edit_is_one_version_with_who_and_the_before_and_after(editor):
    article = ArticleFactory(title="Old headline", body="<p>Same body</p>")
    tag = TagFactory(name="Remote sensing")
    versions = article.history.count()

    change(editor, article, title_en="New headline", tags=[str(tag.pk)])

    assert article.history.count() == versions + 1
    latest = article.history.first()
    assert latest.history_user == editor.user
    assert set(changed(latest)) == {"title_en", "tags"}
    page = history_page(editor, article)
    assert "Old headline" in page and "New headline" in page
    assert "Remote sensing" in page and "ed" in page


def test_saving_a_form_unchanged_records_no_version(editor):
    article = ArticleFactory(
        body="<h2>One</h2>\n<p>Two\nlines</p>", tags=[TagFactory()]
    )
    change(editor, article, title_en=article.title_en + " edited")
    versions = article.history.count()

    # The browser posts the text areas with CRLF: the text is still the same.
    change(editor, article)
    change(editor, article)

    article.refresh_from_db()
    assert "\r" not in article.body_en
    assert article.history.count() == versions


def test_a_change_in_chinese_is_versioned(editor):
    article = ArticleFactory(title_zh_hans="旧标题")
    change(editor, article, title_zh_hans="新标题")
    latest = article.history.first()
    assert latest.title_zh_hans == "新标题"
    assert changed(latest) == ["title_zh_hans"]
    assert "旧标题" in history_page(editor, article)


def test_an_editor_restores_an_earlier_version_with_its_tags(editor):
    first_tag, second_tag = TagFactory(), TagFactory()
    article = ArticleFactory(title="First words", tags=[first_tag])
    change(editor, article, title_en="First words")  # the version an editor saved
    original = article.history.first()
    change(editor, article, title_en="Second words", tags=[str(second_tag.pk)])

    url = f"/admin/news/article/{article.pk}/history/{original.history_id}/"
    page = editor.get(url).content.decode()
    assert "First words" in page
    response = editor.post(url, form_data(page))
    assert response.status_code == 302

    article.refresh_from_db()
    assert article.title_en == "First words"
    assert list(article.tags.all()) == [first_tag]
    restored = article.history.first()
    assert restored.history_user == editor.user
    assert set(changed(restored)) == {
        "title_en",
        "tags",
    }


def test_scenario_participations_are_part_of_the_version(editor):
    scenario = ScenarioFactory()
    participation = ScenarioParticipationFactory(scenario=scenario, role="lead")
    url = f"/admin/alliance/scenario/{scenario.pk}/change/"
    data = form_data(editor.get(url).content.decode(), "scenario_form")
    prefix = next(k for k in data if k.endswith("-0-role")).removesuffix("-0-role")
    assert data[f"{prefix}-0-id"] == str(participation.pk)
    data[f"{prefix}-0-role"] = "user_agency"
    response = editor.post(url, data)
    assert response.status_code == 302, response.context["errors"]

    latest = scenario.history.first()
    assert changed(latest) == ["members"]
    assert Scenario.history.filter(id=scenario.pk).count() == 2


def test_reverting_a_scenario_brings_back_its_participants_and_their_roles(editor):
    scenario = ScenarioFactory(title_en="Grid watch")
    lead = ScenarioParticipationFactory(scenario=scenario, role="lead")
    url = f"/admin/alliance/scenario/{scenario.pk}/change/"
    data = form_data(editor.get(url).content.decode(), "scenario_form")
    assert editor.post(url, data).status_code == 302
    with_lead = scenario.history.first()
    assert list(with_lead.members.values_list("role", flat=True)) == ["lead"]

    prefix = next(k for k in data if k.endswith("-0-role")).removesuffix("-0-role")
    data[f"{prefix}-0-role"] = "user_agency"
    data["title_en"] = "Grid watch, second phase"
    assert editor.post(url, data).status_code == 302
    ScenarioParticipationFactory(scenario=scenario, role="technology_provider")

    revert = f"/admin/alliance/scenario/{scenario.pk}/history/{with_lead.history_id}/"
    page = editor.get(revert).content.decode()
    response = editor.post(revert, form_data(page))
    assert response.status_code == 302

    scenario.refresh_from_db()
    assert scenario.title_en == "Grid watch"
    assert list(scenario.participations.values_list("member_id", "role")) == [
        (lead.member_id, "lead")
    ]
    assert set(changed(scenario.history.first())) == {"title_en", "members"}


def test_bulk_publish_records_a_version_per_object(editor):
    drafts = ArticleFactory.create_batch(2, status="draft")
    editor.post(
        "/admin/news/article/",
        {"action": "publish_selected", "_selected_action": [a.pk for a in drafts]},
    )
    for article in drafts:
        latest = article.history.first()
        assert latest.status == "published"
        assert latest.history_user == editor.user


def test_content_saved_in_code_is_versioned_once_per_change():
    member = MemberFactory(name="Orbit Works")
    member.save()
    assert member.history.count() == 1
    member.name_en = "Orbit Works Ltd"
    member.save()
    assert [v.name_en for v in member.history.all()] == [
        "Orbit Works Ltd",
        "Orbit Works",
    ]


def test_history_shows_only_to_who_may_see_the_object(client, django_user_model):
    article = ArticleFactory()
    outsider = django_user_model.objects.create_user("x", password="pw", is_staff=True)
    client.force_login(outsider)
    assert client.get(f"/admin/news/article/{article.pk}/history/").status_code == 403
    assert Article.history.count() >= 1


def test_editors_do_not_see_changes_of_members_private_fields(editor):
    member = MemberFactory(contact_email="old-private@example.org", city_en="Xi'an")
    member.contact_email = "new-private@example.org"
    member.city_en = "Chongqing"
    member.save()
    page = history_page(editor, member)
    assert "Chongqing" in page
    assert "private@example.org" not in page
