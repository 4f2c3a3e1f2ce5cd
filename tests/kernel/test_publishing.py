"""One rule of what is public, in SQL and in Python, for every public model."""

import datetime

import pytest
from django.utils import timezone

from alliance.kernel import tombstones
from alliance.kernel.models import Tombstone
from news.models import Article
from tests.factories import ArticleFactory, MemberFactory, TagFactory
from tests.helpers import factory_of, public_models

pytestmark = pytest.mark.django_db


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


@pytest.mark.parametrize(
    "model", public_models(), ids=lambda model: model._meta.label_lower
)
@pytest.mark.parametrize("loaded", [("pk",), ("slug", "status")], ids="-".join)
def test_a_query_with_only_costs_one_query_and_a_save_still_tracks_the_change(
    model, loaded, django_assert_num_queries
):
    factory_of(model).create_batch(4)
    # Nothing is worked out per row when rows are read: one query, whatever
    # `.only()` leaves out, however many rows.
    with django_assert_num_queries(1):
        rows = list(model.objects.order_by("pk").only(*loaded))
    assert len(rows) == 4
    first = rows[0]
    slug = model.objects.filter(pk=first.pk).values_list("slug", flat=True)[0]
    first.status = "draft"
    first.save()
    assert not model.objects.published().filter(pk=first.pk).exists()
    if tombstones.resource_of(model):
        # The public state is read as stored when the row is saved.
        assert Tombstone.objects.filter(
            resource=tombstones.resource_of(model), slug=slug, reason="unpublished"
        ).exists()
    first.status = "published"
    first.save()
    assert not Tombstone.objects.filter(slug=slug).exists()
    assert model.objects.published().count() == 4
    model.objects.only(*loaded).get(pk=first.pk).delete()
    assert Tombstone.objects.filter(slug=slug, reason="deleted").exists() == bool(
        tombstones.resource_of(model)
    )
