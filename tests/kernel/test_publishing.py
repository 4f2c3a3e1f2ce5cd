"""One rule of what is public, in SQL and in Python, for every public model."""

import datetime

import pytest
from django.apps import apps
from django.utils import timezone

from alliance.kernel.publishing import Publishable
from news.models import Article
from tests.factories import ArticleFactory, MemberFactory, TagFactory

pytestmark = pytest.mark.django_db


def public_models():
    return [m for m in apps.get_models() if issubclass(m, Publishable)]


def test_every_public_model_states_the_rule_in_sql_and_python():
    assert {m._meta.label for m in public_models()} >= {
        "members.Member", "members.Sector", "members.Tier", "news.Article",
        "news.Tag", "alliance.Scenario", "alliance.Field", "alliance.Event",
        "alliance.Initiative", "alliance.Page",
    }  # fmt: skip


def test_the_sql_and_the_python_rule_agree_on_drafts_scheduled_and_published():
    now = timezone.now()
    ArticleFactory(slug="live")
    ArticleFactory(slug="draft", status="draft")
    ArticleFactory(slug="soon", published_at=now + datetime.timedelta(hours=1))
    TagFactory(slug="tag-live")
    TagFactory(slug="tag-draft", status="draft")
    for model in (Article, TagFactory._meta.model):
        by_sql = set(model.objects.published().values_list("slug", flat=True))
        by_python = {obj.slug for obj in model.objects.all() if obj.is_published}
        assert by_sql == by_python


def test_the_condition_follows_a_relation_with_a_join():
    member = MemberFactory()
    ArticleFactory(slug="live", members=[member])
    ArticleFactory(slug="draft", status="draft", members=[member])
    links = Article.members.through.objects.filter(
        Article.published_condition(prefix="article__")
    )
    assert [link.article.slug for link in links] == ["live"]
    assert " JOIN " in str(links.query) and "SELECT U0" not in str(links.query)


def updated(obj):
    return type(obj).objects.filter(pk=obj.pk).values_list("updated_at", flat=True)[0]


def backdate(*objs):
    past = timezone.now() - datetime.timedelta(days=3)
    for obj in objs:
        type(obj).objects.filter(pk=obj.pk).update(updated_at=past)
    return past


@pytest.mark.parametrize("change", ["publish", "rename", "delete"])
def test_what_an_answer_nests_changing_marks_the_answer_changed(change):
    tag = TagFactory(status="draft" if change == "publish" else "published")
    article = ArticleFactory(tags=[tag])
    past = backdate(article)
    if change == "publish":
        tag.status = "published"
        tag.save()
    elif change == "rename":
        tag.name_en = "A new name"
        tag.save()
    else:
        tag.delete()
    assert updated(article) > past


def test_a_bulk_publish_and_a_new_link_mark_the_nesting_answers_changed():
    tag = TagFactory(status="draft")
    article = ArticleFactory(tags=[tag])
    member = MemberFactory()
    past = backdate(article)
    type(tag).objects.filter(pk=tag.pk).publish()
    assert updated(article) > past
    past = backdate(article)
    article.members.add(member)
    assert updated(article) > past


def test_an_edit_that_nesting_answers_do_not_show_leaves_them_alone():
    tag = TagFactory()
    article = ArticleFactory(tags=[tag])
    past = backdate(article)
    tag.name_zh_hans = tag.name_zh_hans  # nothing shown changes
    tag.save()
    assert updated(article) == past
