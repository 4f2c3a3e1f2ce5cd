"""Registration for an event, end to end in a real browser.

An editor opens registration for an event with one place. A visitor
registers in Chinese and gets the confirmation (captured) with a ticket; the
event is full, so the next visitor joins the waiting list; the first
cancels through the link in their email, and the second is confirmed and
told. At the door, a member of Event staff on a phone (375 px wide) points
the camera at the ticket (a video of the QR code stands in for the camera)
and sees "checked in", then "already checked in at ..."; then exports the
list of who came from the admin.
"""

import io
import re

import pytest
from django.contrib.auth.models import User
from django.core import mail
from PIL import Image
from playwright.sync_api import expect

from registrations.emails import ticket_png
from registrations.models import Registration, Status
from tests.factories import EventFactory
from tests.helpers import (
    CHROMIUM,
    CHROMIUM_ARGS,
    axe_violations,
    format_violations,
    role_group,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-and-unusual-password-42"
PHONE = {"width": 375, "height": 740}


def sign_in(page, url, username):
    page.goto(url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def assert_accessible(page):
    violations = axe_violations(page)
    assert violations == [], f"{page.url}\n{format_violations(violations)}"


def manage_link(message):
    return re.search(r"https?://\S+/registration/\S+/", message.body).group(0)


def camera_video(path, png):
    """A Y4M video (what Chromium's fake camera plays) of the ticket on a white page."""
    frame = Image.new("RGB", (640, 480), "white")
    code = Image.open(io.BytesIO(png)).convert("RGB").resize((360, 360))
    frame.paste(code, (140, 60))
    y, cb, cr = frame.convert("YCbCr").split()
    half = (320, 240)
    planes = y.tobytes() + cb.resize(half).tobytes() + cr.resize(half).tobytes()
    with open(path, "wb") as video:
        video.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            video.write(b"FRAME\n" + planes)


def register(page, url, name, email):
    page.goto(url + "/zh-hans/events/forum/")
    page.get_by_role("link", name="报名", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("报名参加")
    page.get_by_label("姓名").fill(name)
    page.get_by_label("电子邮箱").fill(email)
    page.get_by_label("我已阅读并同意上述隐私声明。").check()
    page.get_by_role("button", name=re.compile("报名|加入候补名单")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("请查收邮件")


def test_a_visitor_registers_in_chinese_and_staff_check_the_ticket_in(
    live_server, browser, playwright, settings, tmp_path
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    url = live_server.url
    editor = User.objects.create_user("editor", password=PASSWORD, is_staff=True)
    editor.groups.add(role_group("Editors"))
    door = User.objects.create_user("door", password=PASSWORD, is_staff=True)
    door.groups.add(role_group("Event staff"))
    EventFactory(slug="forum", name_en="Space Data Forum", name_zh_hans="空间数据论坛")

    # The editor opens registration: one place, a waiting list.
    admin = browser.new_page()
    sign_in(admin, url, "editor")
    admin.goto(url + "/admin/registrations/registrationsettings/add/")
    admin.locator(".select2-selection").first.click()
    admin.locator(".select2-search__field").fill("Space")
    admin.locator(".select2-results__option", has_text="Space Data Forum").click()
    admin.get_by_label("Capacity").fill("1")
    notice = admin.locator(".ui-tabs:has(#id_privacy_notice_zh_hans)")
    notice.get_by_role("tab", name=re.compile("zh", re.I)).click()
    admin.locator("#id_privacy_notice_zh_hans").fill("我们只用这些信息组织本次活动。")
    admin.get_by_role("button", name="Save", exact=True).click()
    expect(admin.locator(".messagelist")).to_contain_text("was added successfully")
    admin.close()

    # A visitor registers in Chinese and gets the confirmation with the ticket.
    visitor = browser.new_page()
    register(visitor, url, "林伟", "lin@example.org")
    expect(visitor.locator("main")).to_contain_text("我们已向您填写的地址发送了")
    assert_accessible(visitor)
    [confirmation] = mail.outbox
    assert confirmation.to == ["lin@example.org"]
    assert "空间数据论坛" in confirmation.subject
    assert "名额已确认" in confirmation.body
    assert {name for name, *_ in confirmation.attachments} == {
        "forum.ics",
        "ticket.png",
    }

    # The event is full: the next visitor joins the waiting list.
    second = browser.new_page()
    second.goto(url + "/zh-hans/events/forum/register/")
    expect(second.locator("form .notice")).to_contain_text("活动已满额")
    assert_accessible(second)
    register(second, url, "Ann Lee", "ann@example.org")
    assert "候补名单" in mail.outbox[-1].body
    assert Registration.objects.get(email="ann@example.org").status == Status.WAITLISTED

    # The first cancels through the link in the email; the second is confirmed and told.
    visitor.goto(manage_link(confirmation))
    expect(visitor.locator("#registration-status")).to_have_text("已确认")
    assert_accessible(visitor)
    visitor.get_by_role("button", name="取消我的报名").click()
    expect(visitor.locator("#registration-status")).to_have_text("已取消")
    ann = Registration.objects.get(email="ann@example.org")
    assert ann.status == Status.CONFIRMED
    promotion = mail.outbox[-1]
    assert promotion.to == ["ann@example.org"]
    assert "ticket.png" in [name for name, *_ in promotion.attachments]

    # At the door, on a phone, the camera reads Ann's ticket.
    video = tmp_path / "ticket.y4m"
    camera_video(video, ticket_png(ann.ticket_token))
    phone_browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ],
    )
    try:
        phone = phone_browser.new_context(
            viewport=PHONE, is_mobile=True, has_touch=True
        )
        phone.grant_permissions(["camera"], origin=url)
        desk = phone.new_page()
        sign_in(desk, url, "door")
        desk.goto(url + "/events/forum/check-in/")
        expect(desk.locator('[data-count="confirmed"]')).to_have_text("1")
        expect(desk.locator('[data-count="checked_in"]')).to_have_text("0")
        assert_accessible(desk)
        desk.get_by_role("button", name="Start the camera").click()
        result = desk.locator("#check-in-result")
        expect(result).to_contain_text("Checked in", timeout=15000)
        expect(result).to_contain_text("Ann Lee")
        expect(desk.locator('[data-count="checked_in"]')).to_have_text("1")
        # The same ticket again, typed by hand: reported with its time.
        desk.get_by_label("Ticket code").fill(ann.ticket_token)
        desk.get_by_role("button", name="Check in", exact=True).click()
        expect(result).to_contain_text(re.compile(r"Already checked in at \d\d:\d\d"))
        assert desk.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        desk.screenshot(path=str(tmp_path / "check-in.png"), full_page=True)
    finally:
        phone_browser.close()
    ann.refresh_from_db()
    assert ann.checked_in_at is not None and ann.checked_in_by == door

    # After the doors close, the list of who came, from the admin.
    office = browser.new_page()
    sign_in(office, url, "door")
    office.goto(url + "/admin/registrations/registration/?status__exact=confirmed")
    office.locator("#action-toggle").check()
    office.locator("select[name=action]").select_option("export_csv")
    with office.expect_download() as download:
        office.get_by_role("button", name="Go").click()
    text = download.value.path().read_text(encoding="utf-8")
    assert text.startswith("\ufeffevent,status,name,email")
    assert "Ann Lee" in text and "林伟" not in text
    office.close()
