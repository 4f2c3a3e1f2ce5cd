"""Every model of the admin: its list and forms open, its change form saves, unchanged, changed and with a new image.

The records are filled in every field (real images where the model has
them), and each form is posted back as a browser would: the values the page
served, read from its HTML, inline formsets' management data included. A
model registered in the admin later is covered without touching this file;
it only needs a recipe below when no factory makes it. Partner keys are
shown once, when they are issued.
"""

import datetime
import decimal

import factory
import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission, User
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_countries.fields import CountryField
from django_tasks_db.models import get_date_max

from tests import factories
from tests.factories import (
    ArticleFactory,
    EventFactory,
    InitiativeFactory,
    PageFactory,
    ScenarioFactory,
)
from tests.helpers import committed, png_upload, served_form_data

pytestmark = pytest.mark.django_db


def _axes_record(model):
    return model.objects.create(
        ip_address="192.0.2.10",
        username="someone",
        user_agent="Browser/1.0",
        path_info="/admin/login/",
        attempt_time=timezone.now().replace(microsecond=0),
        **(
            {"failures_since_start": 2}
            if hasattr(model, "failures_since_start")
            else {}
        ),
    )


def _partner_key(model):
    key, _secret = model.objects.create_key(name="Sample key", partner="Sample partner")
    return key


def _task_result(model):
    return model.objects.create(
        status="FAILED",
        args_kwargs={"args": [], "kwargs": {"application_id": 1}},
        task_path="members.services.application_acknowledge",
        backend_name="default",
        run_after=get_date_max(),
        exception_class_path="smtplib.SMTPException",
        traceback="smtplib.SMTPException: Connection unexpectedly closed\n",
    )


def _user(model):
    user = model.objects.create_user("sample-user", "user@example.org", "pw-123456789")
    user.groups.add(Group.objects.get(name="Editors"))
    return user


def _group(model):
    group = model.objects.create(name="Sample group")
    group.permissions.add(Permission.objects.get(codename="view_member"))
    return group


def _totp(model):
    return model.objects.create(user=_user(User), name="Phone")


def _scenario(model):
    scenario = factories.ScenarioFactory(announced_at=factories.EventFactory())
    factories.ScenarioParticipationFactory(scenario=scenario)
    return scenario


# The models no factory makes, by label.
RECIPES = {
    "auth.group": _group,
    "auth.user": _user,
    "otp_totp.totpdevice": _totp,
    "axes.accessattempt": _axes_record,
    "axes.accesslog": _axes_record,
    "axes.accessfailurelog": _axes_record,
    "kernel.partnerkey": _partner_key,
    "django_tasks_database.dbtaskresult": _task_result,
    "alliance.scenario": _scenario,
}


def _factory_for(model):
    for name in dir(factories):
        candidate = getattr(factories, name)
        if (
            isinstance(candidate, type)
            and issubclass(candidate, factory.django.DjangoModelFactory)
            and candidate._meta.model is model
        ):
            return candidate
    return None


def _blank_value(field, model):
    """A valid value for an empty field, by its type."""
    if field.choices:
        return field.choices[0][0]
    if isinstance(field, CountryField):
        return "CN"
    if isinstance(field, models.EmailField):
        return "someone@example.org"
    if isinstance(field, models.URLField):
        return "https://example.org/"
    if isinstance(field, models.GenericIPAddressField):
        return "192.0.2.1"
    if isinstance(field, models.SlugField):
        return f"sample-{field.name}"[: field.max_length]
    if isinstance(field, models.TextField):
        return "示例文本" if field.name.endswith("zh_hans") else "Sample text."
    if isinstance(field, models.CharField):
        text = "示例" if field.name.endswith("zh_hans") else f"Sample {field.name}"
        return text[: field.max_length]
    if isinstance(field, models.DateTimeField):
        return timezone.now().replace(microsecond=0)
    if isinstance(field, models.DateField):
        return timezone.localdate()
    if isinstance(field, models.DecimalField):
        return decimal.Decimal("12.50")
    if isinstance(field, models.IntegerField):
        return 7
    return None


def _related_record(model, depth):
    if depth > 1:
        return None
    if model._meta.label_lower not in RECIPES and _factory_for(model) is None:
        # Rows the system keeps (permissions, content types): link an existing one.
        return model._default_manager.order_by("pk").first()
    return make_record(model, depth=depth + 1)


def make_record(model, *, depth=0):
    """A record of `model` with every editable field filled, images included."""
    label = model._meta.label_lower
    if label in RECIPES:
        obj = RECIPES[label](model)
    else:
        model_factory = _factory_for(model)
        assert model_factory is not None, (
            f"{model._meta.label} is in the admin: give it a factory or a recipe here"
        )
        obj = model_factory()
    for field in model._meta.concrete_fields:
        if field.primary_key or not field.editable or field.auto_created:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        value = getattr(obj, field.attname)
        if isinstance(value, datetime.datetime):
            # The admin's widgets show whole seconds: so does the record.
            setattr(obj, field.attname, value.replace(microsecond=0))
            continue
        if isinstance(field, models.ImageField):
            if not value:
                setattr(obj, field.name, png_upload(f"{field.name}.png"))
            continue
        if isinstance(field, models.ForeignKey):
            if value is None and field.related_model is not model:
                related = _related_record(field.related_model, depth)
                if related is not None:
                    setattr(obj, field.name, related)
            continue
        if value in (None, "") and not isinstance(field, models.JSONField):
            blank = _blank_value(field, model)
            if blank is not None:
                setattr(obj, field.attname, blank)
    if label == "alliance.initiative":
        obj.currency = obj.currency or "CNY"
    if label == "alliance.event":
        obj.ends_on = obj.starts_on + datetime.timedelta(days=1)
    if label == "registrations.registrationsettings":
        obj.closes_at = obj.opens_at + datetime.timedelta(days=1)
    obj.save()
    for field in model._meta.many_to_many:
        if not field.editable or field.remote_field.through._meta.auto_created is False:
            continue
        if not getattr(obj, field.name).exists() and depth == 0:
            related = _related_record(field.related_model, depth)
            if related is not None:
                getattr(obj, field.name).add(related)
    return model._default_manager.get(pk=obj.pk)


def snapshot(obj):
    """The stored values of a record, but the times the save itself writes."""
    obj = type(obj)._default_manager.get(pk=obj.pk)
    values = {}
    for field in obj._meta.concrete_fields:
        if getattr(field, "auto_now", False) or field.name == "updated_at":
            continue
        value = getattr(obj, field.attname)
        values[field.name] = value.name if hasattr(value, "name") else value
    for field in obj._meta.many_to_many:
        values[field.name] = sorted(
            getattr(obj, field.name).values_list("pk", flat=True)
        )
    return values


def _changeable_text_field(model, data):
    """A plain text field of the form that may take any text."""
    for field in model._meta.concrete_fields:
        if (
            type(field) in (models.CharField, models.TextField)
            and field.name in data
            and field.editable
            and not field.choices
            and not field.unique
            and field.name not in ("password",)
            and isinstance(data[field.name], str)
        ):
            return field
    return None


REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


@pytest.mark.parametrize(
    ("model", "model_admin"),
    REGISTERED,
    ids=[model._meta.label for model, _ in REGISTERED],
)
def test_a_filled_record_saves_through_its_change_form(
    admin_client, admin_user, model, model_admin
):
    obj = make_record(model)
    opts = model._meta
    url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    request = RequestFactory().get(url)
    request.user = admin_user
    if not model_admin.has_change_permission(request, obj):
        # Written by the site itself (sign-in records, tombstones, applications):
        # the page shows the record and offers no save.
        assert 'name="_save"' not in response.content.decode()
        return

    html = response.content.decode()
    data = served_form_data(html, f"{opts.model_name}_form")
    before = snapshot(obj)
    response = admin_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302, _errors(response)
    assert snapshot(obj) == before

    field = _changeable_text_field(model, data)
    if field is not None:
        new = f"{data[field.name][: field.max_length - 10] if field.max_length else data[field.name]} edited"
        new = new.strip()
        response = admin_client.post(url, {**data, field.name: new, "_save": "Save"})
        assert response.status_code == 302, _errors(response)
        assert getattr(type(obj)._default_manager.get(pk=obj.pk), field.name) == new

    for image in [f for f in opts.concrete_fields if isinstance(f, models.ImageField)]:
        if not image.editable:
            continue
        old_name = getattr(obj, image.name).name
        upload = png_upload(f"new-{image.name}.png", size=(640, 480), colour="#aa3300")
        with committed():  # renditions are made by a task after the commit
            response = admin_client.post(
                url, {**data, image.name: upload, "_save": "Save"}
            )
        assert response.status_code == 302, _errors(response)
        stored = type(obj)._default_manager.get(pk=obj.pk)
        assert getattr(stored, image.name).name != old_name
        assert (
            getattr(stored, image.width_field),
            getattr(stored, image.height_field),
        ) == (
            640,
            480,
        )
        rendered_from = f"{image.name}_rendered_from"
        if hasattr(stored, rendered_from):
            assert getattr(stored, rendered_from) == getattr(stored, image.name).name


def _errors(response):
    context = response.context or {}
    parts = []
    if context.get("adminform") is not None:
        parts.append(repr(context["adminform"].form.errors))
    for formset in context.get("inline_admin_formsets", []):
        parts.append(repr(formset.formset.errors))
    return " ".join(parts) or response.content.decode()[:2000]


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
        # Applications and registrations arrive through the public forms only;
        # tombstones, sign-in records, background tasks, webhook deliveries
        # and member imports are written by the site itself; representatives are invited from a
        # member's page, and their requests come from the portal.
        written_by_the_site = opts.model_name in {
            "membershipapplication",
            "registration",
            "tombstone",
            "delivery",
            "representative",
            "changerequest",
            "memberimport",
        } or opts.app_label in {"axes", "django_tasks_database"}
        expected = 403 if written_by_the_site else 200
        assert admin_client.get(add).status_code == expected, add


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


def test_a_partner_key_is_issued_in_chinese_too(admin_client):
    from alliance.kernel.models import PartnerKey

    chinese = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9"}
    form = admin_client.get("/admin/kernel/partnerkey/add/", **chinese)
    page = form.content.decode()
    assert "可以重复，最多 50 个字符" in page and "到期时间" in page
    response = admin_client.post(
        "/admin/kernel/partnerkey/add/",
        {"name": "镜像", "partner": "市门户"},
        follow=True,
        **chinese,
    )
    key = PartnerKey.objects.get(partner="市门户")
    message = [str(m) for m in response.context["messages"]][0]
    assert message.startswith("镜像 的 API 密钥是 " + key.prefix)
    # The library's own, unused key model is not offered beside it.
    index = admin_client.get("/admin/", **chinese).content.decode()
    assert "/admin/rest_framework_api_key/" not in index


def test_a_time_left_as_it_was_keeps_its_fraction_of_a_second(admin_client):
    """The widgets show whole seconds; an unchanged save changes nothing."""
    published = timezone.now().replace(microsecond=123456) - datetime.timedelta(days=1)
    article = ArticleFactory(published_at=published)
    url = reverse("admin:news_article_change", args=[article.pk])
    data = served_form_data(admin_client.get(url).content.decode(), "article_form")
    response = admin_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302, _errors(response)
    article.refresh_from_db()
    assert article.published_at == published
    # A time the editor changes is saved as given, to the second.
    moved = timezone.localtime(published - datetime.timedelta(hours=3))
    data["published_at_0"] = moved.strftime("%Y-%m-%d")
    data["published_at_1"] = moved.strftime("%H:%M:%S")
    response = admin_client.post(url, {**data, "_save": "Save"})
    assert response.status_code == 302, _errors(response)
    article.refresh_from_db()
    assert article.published_at == moved.replace(microsecond=0)
