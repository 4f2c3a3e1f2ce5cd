"""Demo content of the portal: a representative for each demo member, one pending request.

The representatives share one password, made afresh on every run and
printed only in the command's output. None is made when DJANGO_DEBUG is
off: a production database never holds an account with a printed password.
"""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model

from members.models import Member

from .models import ChangeRequest, Representative, RequestStatus, member_values

# The member whose representative has proposed a change, waiting for review.
PENDING_REQUEST_MEMBER = "china-siwei"


def representative_email(member):
    return f"representative@{member.slug}.example"


def load(log):
    if not settings.DEBUG:
        log("refused", "representatives: DJANGO_DEBUG is off, so no demo accounts")
        return
    User = get_user_model()
    password = secrets.token_urlsafe(12)
    for member in Member.objects.order_by("slug"):
        email = representative_email(member)
        user = User.objects.filter(username=email).first() or User(
            username=email, email=email
        )
        if user.is_staff or user.is_superuser:
            continue
        user.set_password(password)
        user.save()
        representative, created = Representative.objects.get_or_create(
            user=user,
            member=member,
            defaults={"language": "zh-hans" if member.country == "CN" else "en"},
        )
        log("created" if created else "updated", representative)

    member = Member.objects.filter(slug=PENDING_REQUEST_MEMBER).first()
    if member is not None and not member.change_requests.filter(
        status=RequestStatus.PENDING
    ):
        original = member_values(member)
        change_request = ChangeRequest.objects.create(
            member=member,
            original=original,
            proposed={
                **original,
                "summary_zh_hans": "中国遥感与地理信息企业，提供卫星数据服务。",
                "summary_en": (
                    "A Chinese remote sensing and geographic information company "
                    "offering satellite data services."
                ),
            },
            note="Our summary now mentions our data services.",
            submitted_by=User.objects.filter(
                username=representative_email(member)
            ).first(),
            language="zh-hans",
        )
        log("created", change_request)
    log(
        "password",
        f"every demo representative (representative@<member slug>.example) "
        f"signs in at /portal/login/ with: {password}",
    )
