"""Applications to join: the applicant's emails, in their language, and the member they become."""

import pytest
from django.core import mail

from members.models import ApplicationStatus, Member, MembershipApplication
from tests.factories import MembershipApplicationFactory, SectorFactory, TierFactory

pytestmark = pytest.mark.django_db

CHINESE_APPLICATION = {
    "organization_name": "重庆星图科技",
    "short_name": "星图",
    "country": "CN",
    "city": "重庆",
    "capability": "遥感数据处理。",
    "contact_name": "李明",
    "contact_email": "li@xingtu.example",
}


def test_an_applicant_gets_a_receipt_in_english_after_the_commit(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        client.post(
            "/members/join/",
            {
                **CHINESE_APPLICATION,
                "organization_name": "Orbit Start",
                "contact_email": "ada@orbit.example",
            },
        )
        assert mail.outbox == []  # nothing before the commit
    for callback in callbacks:
        callback()
    application = MembershipApplication.objects.get()
    assert application.language == "en"
    receipt = next(m for m in mail.outbox if m.to == ["ada@orbit.example"])
    assert receipt.subject.startswith("We received your application to join")
    assert (
        "Orbit Start" in receipt.body and "secretariat will review it" in receipt.body
    )


def test_an_application_on_the_chinese_form_gets_a_chinese_receipt(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/zh-hans/members/join/", CHINESE_APPLICATION)
    assert response.status_code == 302
    application = MembershipApplication.objects.get()
    assert application.language == "zh-hans"
    receipt = next(m for m in mail.outbox if m.to == ["li@xingtu.example"])
    assert "我们已收到" in receipt.subject
    assert "重庆星图科技" in receipt.body and "秘书处" in receipt.body
    # The secretariat's notice stays in the site's language.
    notice = next(m for m in mail.outbox if m.to != ["li@xingtu.example"])
    assert notice.subject == "New application to join: 重庆星图科技"


def test_approving_a_chinese_application_fills_the_chinese_fields_and_tells_the_applicant(
    admin_client, django_capture_on_commit_callbacks
):
    TierFactory(slug="member")
    application = MembershipApplicationFactory(
        language="zh-hans", **CHINESE_APPLICATION
    )
    application.sectors.add(SectorFactory())
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(
            f"/admin/members/membershipapplication/{application.pk}/approve/"
        )
    member = Member.objects.get(application=application)
    assert (member.name_zh_hans, member.short_name_zh_hans, member.city_zh_hans) == (
        "重庆星图科技",
        "星图",
        "重庆",
    )
    assert member.capability_zh_hans == "遥感数据处理。"
    assert not member.name_en and not member.capability_en
    assert member.needs_english
    # The member list flags it for the secretariat to complete in English.
    listing = admin_client.get("/admin/members/member/", {"english": "missing"})
    assert list(listing.context["cl"].result_list) == [member]
    [decision] = [m for m in mail.outbox if m.to == ["li@xingtu.example"]]
    assert "已获批准" in decision.subject


def test_a_rejected_applicant_is_told_why_in_their_language(
    admin_client, django_capture_on_commit_callbacks
):
    english = MembershipApplicationFactory(contact_email="en@example.com")
    chinese = MembershipApplicationFactory(
        contact_email="zh@example.com", language="zh-hans"
    )
    with django_capture_on_commit_callbacks(execute=True):
        for application, reason in (
            (english, "Outside the industry."),
            (chinese, "不属于本行业。"),
        ):
            admin_client.post(
                f"/admin/members/membershipapplication/{application.pk}/reject/",
                {"reason": reason},
            )
    assert (
        MembershipApplication.objects.filter(status=ApplicationStatus.REJECTED).count()
        == 2
    )
    by_address = {m.to[0]: m for m in mail.outbox}
    assert "was not approved" in by_address["en@example.com"].body
    assert "Outside the industry." in by_address["en@example.com"].body
    assert "未获批准" in by_address["zh@example.com"].body
    assert "不属于本行业。" in by_address["zh@example.com"].body


def test_no_decision_mail_leaves_before_the_commit(
    admin_client, django_capture_on_commit_callbacks
):
    TierFactory(slug="member")
    application = MembershipApplicationFactory()
    with django_capture_on_commit_callbacks() as callbacks:
        admin_client.post(
            f"/admin/members/membershipapplication/{application.pk}/approve/"
        )
    assert mail.outbox == [] and callbacks
    for callback in callbacks:
        callback()
    assert [m.to for m in mail.outbox] == [[application.contact_email]]
