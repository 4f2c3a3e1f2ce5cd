"""The portal's demo content: representatives with a printed password, while debugging only."""

import io
import re

import pytest
from django.core.management import call_command

from members.models import Member
from portal.models import ChangeRequest, Representative

pytestmark = pytest.mark.django_db


def load():
    out = io.StringIO()
    call_command("load_demo_content", stdout=out)
    return out.getvalue()


def test_each_demo_member_gets_a_representative_who_can_sign_in(client, settings):
    settings.DEBUG = True
    output = load()
    assert Representative.objects.count() == Member.objects.count() > 0
    assert ChangeRequest.objects.pending().count() == 1
    password = re.search(r"/portal/login/ with: (\S+)", output).group(1)
    response = client.post(
        "/portal/login/",
        {"username": "representative@landspace.example", "password": password},
    )
    assert response.status_code == 302
    # A second run makes no second request or representative.
    load()
    assert ChangeRequest.objects.pending().count() == 1
    assert Representative.objects.count() == Member.objects.count()


def test_no_demo_account_is_made_when_debug_is_off(settings):
    settings.DEBUG = False
    output = load()
    assert Representative.objects.count() == 0
    assert "refused" in output
    assert "/portal/login/ with" not in output
