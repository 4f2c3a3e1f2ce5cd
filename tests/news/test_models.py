import datetime

import pytest
from django.utils import timezone

from news.models import Article
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db


def test_published_queryset_and_property_agree():
    now = timezone.now()
    live = ArticleFactory(published_at=now - datetime.timedelta(minutes=1))
    scheduled = ArticleFactory(published_at=now + datetime.timedelta(hours=1))
    draft = ArticleFactory(
        status="draft", published_at=now - datetime.timedelta(days=1)
    )

    published = set(Article.objects.published())
    assert published == {live}
    for article in (live, scheduled, draft):
        assert article.is_published == (article in published)


def test_scheduled_article_is_published_once_its_time_comes():
    article = ArticleFactory(published_at=timezone.now() + datetime.timedelta(hours=2))
    assert article not in Article.objects.published()
    assert article in Article.objects.scheduled()
    later = timezone.now() + datetime.timedelta(hours=3)
    assert article in Article.objects.published(now=later)


def test_unpublished_is_the_complement_of_published():
    live = ArticleFactory()
    scheduled = ArticleFactory(published_at=timezone.now() + datetime.timedelta(days=1))
    draft = ArticleFactory(status="draft")
    assert set(Article.objects.unpublished()) == {scheduled, draft}
    assert live not in Article.objects.unpublished()


def test_queryset_publish_and_unpublish_touch_updated_at():
    article = ArticleFactory(status="draft")
    before = article.updated_at
    assert Article.objects.filter(pk=article.pk).publish() == 1
    article.refresh_from_db()
    assert article.status == "published" and article.updated_at > before
    assert Article.objects.filter(pk=article.pk).publish() == 0
    assert Article.objects.filter(pk=article.pk).unpublish() == 1
