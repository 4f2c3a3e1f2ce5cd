"""A member keeps its own profile: invited, proposes, reviewed, published.

A membership manager invites a representative from the member's admin
page; the representative (on a phone, JavaScript off, in Chinese) chooses a
password from the emailed link, signs in, proposes a Chinese description and
a new logo; the manager reviews the diff and approves; the public page and
the API show the change at once.
"""

import io
import json
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.utils import translation
from PIL import Image
from playwright.sync_api import expect

from portal.models import ChangeRequest, RequestStatus
from tests.factories import MemberFactory
from tests.helpers import axe_violations, format_violations, role_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-password-for-the-journey"
REPRESENTATIVE_PASSWORD = "orbit-harbour-tide-42"
PHONE = {"width": 390, "height": 844}
NEW_DESCRIPTION = "港湾地理数据公司为沿海城市提供卫星遥感监测服务。"


def logo_png():
    buffer = io.BytesIO()
    Image.new("RGB", (300, 120), "#1b6f3a").save(buffer, format="PNG")
    return buffer.getvalue()


def assert_accessible(browser, context, urls):
    """axe finds nothing on `urls`, opened with the session of `context` (axe needs JavaScript)."""
    checking = browser.new_context(
        viewport=PHONE, storage_state=context.storage_state()
    )
    page = checking.new_page()
    for url in urls:
        page.goto(url)
        violations = axe_violations(page)
        assert not violations, (url, format_violations(violations))
    checking.close()


def test_a_representative_keeps_the_profile_and_the_manager_approves(
    live_server, page, browser, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    manager = User.objects.create_user("mira", password=PASSWORD, is_staff=True)
    manager.groups.add(role_group("Membership managers"))
    # In English whatever an earlier test left active: `name` is the active language's.
    with translation.override("en"):
        member = MemberFactory(slug="harbour", name="Harbour Geodata", description="")

    # The manager invites a representative from the member's page.
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("mira")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/members/member/{member.pk}/change/")
    page.fill("#id_representatives-0-email", "li.na@harbour.example")
    page.select_option("#id_representatives-0-language", "zh-hans")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("changed successfully")
    assert [m.to for m in mail.outbox] == [["li.na@harbour.example"]]
    link = re.search(r"http://\S+/set-password/\S+/", mail.outbox[0].body).group(0)

    # The representative, on a phone without JavaScript, chooses a password.
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    phone = context.new_page()
    phone.goto(link)
    assert "/zh-hans/" in phone.url
    phone.fill("input[name=new_password1]", REPRESENTATIVE_PASSWORD)
    phone.fill("input[name=new_password2]", REPRESENTATIVE_PASSWORD)
    phone.locator("main button[type=submit]").click()
    phone.locator("main a.button").click()

    # Signs in and proposes a Chinese description and a new logo.
    phone.fill("input[name=username]", "li.na@harbour.example")
    phone.fill("input[name=password]", REPRESENTATIVE_PASSWORD)
    phone.locator("main form.form button[type=submit]").click()
    expect(phone.locator("main h2")).to_contain_text("Harbour Geodata")
    phone.locator("main a[href$='/change/']").click()
    assert_accessible(
        browser, context, [phone.url, live_server.url + "/zh-hans/portal/"]
    )
    phone.fill("textarea[name=description_zh_hans]", NEW_DESCRIPTION)
    phone.set_input_files(
        "input[name=logo]",
        files=[{"name": "harbour.png", "mimeType": "image/png", "buffer": logo_png()}],
    )
    phone.fill("input[name=logo_alt_zh_hans]", "港湾地理数据标志")
    phone.locator("main form.form button[type=submit]").click()
    expect(phone.locator(".portal-messages")).to_be_visible()
    change_request = ChangeRequest.objects.get()
    assert change_request.status == RequestStatus.PENDING
    # Nothing public has changed yet.
    phone.goto(live_server.url + "/zh-hans/members/harbour/")
    expect(phone.locator("main")).not_to_contain_text(NEW_DESCRIPTION)
    context.close()

    # The manager reviews the diff and approves.
    page.goto(live_server.url + "/admin/portal/changerequest/")
    page.get_by_role("link", name="Harbour Geodata").first.click()
    diff = page.locator("table.change-diff")
    expect(diff).to_contain_text(NEW_DESCRIPTION)
    expect(diff.get_by_role("img", name="Proposed logo")).to_be_visible()
    page.get_by_label("Message to the representative").fill("谢谢，已发布。")
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.locator(".messagelist")).to_contain_text("Approved")

    # The public page and the API show the change at once.
    page.goto(live_server.url + "/zh-hans/members/harbour/")
    expect(page.locator("main")).to_contain_text(NEW_DESCRIPTION)
    expect(page.locator("main .member-head__logo img")).to_have_count(1)
    answer = page.request.get(live_server.url + "/api/v1/members/harbour/")
    assert answer.ok
    body = json.dumps(answer.json(), ensure_ascii=False)
    assert NEW_DESCRIPTION in body
    assert "港湾地理数据标志" in body
    # The representative hears of it, in Chinese.
    assert mail.outbox[-1].to == ["li.na@harbour.example"]
    assert "谢谢，已发布。" in mail.outbox[-1].body
