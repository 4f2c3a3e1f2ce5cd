"""The admin in Simplified Chinese, a language switcher, and times in the site's zone."""

import datetime

import pytest
from django.contrib import admin
from django.utils import translation

from tests.factories import ArticleFactory, MemberFactory
from tests.helpers import served_form_data

pytestmark = pytest.mark.django_db

OUR_APPS = {"kernel", "alliance", "members", "news"}
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.5"}


def both(text):
    with translation.override("en"):
        english = str(text)
    with translation.override("zh-hans"):
        chinese = str(text)
    return english, chinese


def test_every_name_help_text_and_action_of_our_admin_is_in_chinese():
    untranslated = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in OUR_APPS:
            continue
        texts = [model._meta.verbose_name, model._meta.verbose_name_plural]
        for field in model._meta.get_fields():
            if field.auto_created or not getattr(field, "editable", False):
                continue
            texts += [
                getattr(field, "verbose_name", ""),
                getattr(field, "help_text", ""),
            ]
        for english, chinese in (both(text) for text in texts if text):
            if english == chinese:
                untranslated.append(f"{model._meta.label}: {english}")
        # Action names are formatted in the language active when listed.
        choices = {}
        for language in ("en", "zh-hans"):
            with translation.override(language):
                choices[language] = [
                    str(label)
                    for _name, label in model_admin.get_action_choices(
                        _request(), default_choices=[]
                    )
                ]
        for english, chinese in zip(choices["en"], choices["zh-hans"], strict=True):
            if english == chinese:
                untranslated.append(f"{model._meta.label} action: {english}")
    assert untranslated == []


def _request():
    from django.contrib.auth.models import User
    from django.test import RequestFactory

    request = RequestFactory().get("/admin/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    return request


def test_a_browser_asking_for_chinese_gets_the_admin_in_chinese(admin_client):
    MemberFactory()
    response = admin_client.get("/admin/members/member/", **CHINESE)
    html = response.content.decode()
    assert '<html lang="zh-hans"' in html
    assert "成员" in html  # our verbose names
    assert "发布所选" in html or "发布" in html  # our actions
    assert "待补英文" in html  # our list filter
    assert "联盟管理" in html or "管理" in html


def test_the_language_switcher_changes_the_admin_language_and_back(admin_client):
    page = admin_client.get("/admin/").content.decode()
    assert 'id="admin-language"' in page and 'value="zh-hans"' in page
    response = admin_client.post(
        "/i18n/setlang/", {"language": "zh-hans", "next": "/admin/members/member/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/members/member/"
    html = admin_client.get("/admin/members/member/").content.decode()
    assert '<html lang="zh-hans"' in html and 'aria-pressed="true">简体中文' in html
    admin_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    assert '<html lang="en"' in admin_client.get("/admin/").content.decode()


def test_the_public_site_keeps_its_language_by_address(admin_client):
    admin_client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/admin/"})
    assert '<html lang="en"' in admin_client.get("/").content.decode()


def test_admin_times_are_in_the_site_zone_and_said_once(admin_client, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    article = ArticleFactory(
        published_at=datetime.datetime(2026, 3, 1, 0, 30, tzinfo=datetime.UTC)
    )
    html = admin_client.get(
        f"/admin/news/article/{article.pk}/change/"
    ).content.decode()
    data = served_form_data(html, "article_form")
    assert (data["published_at_0"], data["published_at_1"]) == (
        "2026-03-01",
        "08:30:00",
    )
    assert "Times in Asia/Shanghai" in html and "(UTC+0800)" in html
    # The admin's script adds its note under time fields; the stylesheet hides it.
    from django.contrib.staticfiles import finders

    with open(finders.find("css/admin.css"), encoding="utf-8") as css:
        assert ".timezonewarning { display: none; }" in css.read()
